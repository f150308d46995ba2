"""The outbox: e-mails waiting to go, going, sent or given up on.

A message is written in the same transaction as whatever caused it (an order, a campaign) and sent later
by `boxoffice worker`, so a slow or absent SMTP server never holds up a sale and no e-mail is lost when a
process stops. The rows hold personal data (recipient, bodies, attachments); erasure blanks those columns
in place and keeps the row, so the columns stay plain values with no derived copies elsewhere.

The claim query's index on (status, next_attempt_at) comes from a hand-written migration of this app:
Piccolo declares indexes on single columns only.
"""

from enum import StrEnum

from piccolo.columns import JSON, Bytea, Email, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Table):
    """One e-mail to one recipient. `last_error` holds SMTP replies and exception text, never bodies."""

    recipient = Email()
    subject = Text()
    text_body = Text(default="")
    html_body = Text(null=True, default=None)
    headers = JSON(default="{}")
    kind = Varchar(length=32, default="general")
    status = Varchar(length=16, choices=OutboxStatus, default=OutboxStatus.QUEUED)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    claimed_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class OutboxAttachment(Table):
    """A file sent with a message, such as the tickets of an order as a PDF.

    A file that is costly to make is queued as a recipe instead: `made_by` names the worker's maker and
    `made_from` what it makes it from (an order id, say); `content` stays empty until the worker makes it,
    just before the first attempt to send, and then keeps it for retries and the e-mail log."""

    message = ForeignKey(references=OutboxMessage, null=False, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=127)
    content = Bytea()
    made_by = Varchar(length=32, default="")
    made_from = Integer(null=True, default=None)

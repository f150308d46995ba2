"""The outbox: e-mails waiting to go, going, sent or given up on.

A message is written in the same transaction as whatever caused it (an order, a campaign) and sent later
by `boxoffice worker`, so a slow or absent SMTP server never holds up a sale and no e-mail is lost when a
process stops. The rows hold personal data (recipient, bodies, attachments); erasure blanks those columns
in place and keeps the row, so the columns stay plain values with no derived copies elsewhere.

The claim query's indexes on (status, next_attempt_at) and (status, claimed_by) come from hand-written
migrations of this app, since Piccolo declares indexes on plain single columns only; so do the index on
(status, created_at), by which retention deletes old mail, and the one on LOWER(recipient), by which
erasure and the right of access find every e-mail to a person's addresses.

What can be promised over SMTP, whose server may take a message just as its sender dies, is one of two
things, and each message says which (`at_most_once`): a campaign message is never sent twice, and may be
lost instead (`uncertain`); any other message is never lost, and may arrive twice with one Message-ID.
"""

from enum import StrEnum

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    Email,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"  # a worker took it in its batch and has not handed it to SMTP yet
    SENDING = "sending"  # handed to SMTP (committed first): it may have gone out
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # an at-most-once message whose worker died while sending: it may have gone


class MailWorker(Table):
    """A running `boxoffice worker`, alive while its heartbeat keeps `lease_until` in the future.
    Claims belong to a worker, so a worker that died gives its claims back as soon as its lease lapses,
    not after a fixed time that a slow batch could outlast. The id names the host and process."""

    id = Varchar(length=100, primary_key=True)
    started_at = Timestamptz(default=TimestamptzNow())
    lease_until = Timestamptz()


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
    at_most_once = Boolean(default=False)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    claimed_at = Timestamptz(null=True, default=None)
    claimed_by = ForeignKey(references=MailWorker, null=True, on_delete=OnDelete.set_null, index=True)
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

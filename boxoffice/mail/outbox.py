"""Queueing e-mail, and claiming it for sending, with a delivery promise that SMTP can keep.

`queue_email` writes through whatever transaction the caller has open, so an order and its confirmation
commit or vanish together. Workers claim due messages in batches: a claim marks rows `claimed` by this
worker and counts the attempt in one atomic step (row locks skipped on PostgreSQL, the write lock on
SQLite), so workers never share a message. Just before a message is handed to SMTP it is marked `sending`,
and that is committed first.

A worker can die after the SMTP server took a message and before the outbox hears of it, so no sender can
promise exactly once. Each message is promised one of two things instead:
- at most once (`Email.at_most_once`, campaign messages): a message found `sending` after its worker died
  may have gone out, so it is never sent again; it is marked `uncertain`, as is one whose connection was
  lost while it was being sent;
- at least once (everything else: confirmations and other transactional mail): it is sent again, with
  the same Message-ID (derived from the outbox row), so the recipient's mail system can drop the copy.
Each worker holds a lease (`WORKER_LEASE`) that its heartbeat renews; once a dead worker's lease lapses,
the next claim by any worker takes its claims back at once, so the rest of its batch waits seconds.

`last_error` holds SMTP replies and exception text only, never bodies; it can still name the recipient,
so erasure must blank it with the rest.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from boxoffice.db import as_utc, current_engine, one_of, write_transaction
from boxoffice.mail.tables import MailWorker, OutboxAttachment, OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(minutes=1)
LONGEST_RETRY_DELAY = timedelta(hours=1)
# A worker's heartbeat renews its lease well within this; a worker silent for longer is taken for dead.
WORKER_LEASE = timedelta(seconds=15)
MAX_ERROR_LENGTH = 500

# Set by build_mime itself; a caller supplying them would produce a message with two of each.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes

    def __post_init__(self) -> None:
        maintype, _, subtype = self.content_type.partition("/")
        if not maintype or not subtype or maintype == "multipart":
            raise ValueError(f"{self.content_type!r} is not the media type of a file")


@dataclass(frozen=True)
class AttachmentRecipe:
    """An attachment the worker makes when it sends the message: `made_by` names one of its makers (see
    `mail.worker.AttachmentMaker`), `made_from` is what that maker makes it from, such as an order id.
    Queueing a recipe keeps costly work, like rendering a PDF, out of the transaction that queues."""

    filename: str
    content_type: str
    made_by: str
    made_from: int


@dataclass(frozen=True)
class Email:
    """One e-mail to one recipient. `headers` are extra ones, such as List-Unsubscribe.

    Line breaks in the recipient, subject or headers are refused: they would let text from a form
    smuggle in headers (or recipients) of its own.
    """

    recipient: str
    subject: str
    text: str
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment | AttachmentRecipe, ...] = ()
    kind: str = "general"
    at_most_once: bool = False  # never sent twice, at the price of perhaps never (see the module's doc)

    def __post_init__(self) -> None:
        single_line = {"recipient": self.recipient, "subject": self.subject, **self.headers}
        for name, value in single_line.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"{name} must be a single line")
        reserved = RESERVED_HEADERS & {name.lower() for name in self.headers}
        if reserved:
            raise ValueError(f"headers set by the outbox itself: {', '.join(sorted(reserved))}")


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this worker has claimed and must now send (after `begin_sending`), then report with
    mark_sent or mark_failed. `queued_at` with `id` makes its Message-ID, the same on every attempt."""

    id: int
    attempts: int
    queued_at: datetime
    email: Email


async def queue_email(email: Email, now: datetime | None = None) -> int:
    """Put a message in the outbox, inside the caller's transaction if one is open; returns its id.
    It is due at `now`: callers that keep their own clock (the campaign sender) pass it, the others
    leave it to the database's clock."""
    clock = {"created_at": now, "next_attempt_at": now} if now is not None else {}
    async with write_transaction():
        inserted = await OutboxMessage.insert(
            OutboxMessage(
                recipient=email.recipient,
                subject=email.subject,
                text_body=email.text,
                html_body=email.html,
                headers=dict(email.headers),
                kind=email.kind,
                at_most_once=email.at_most_once,
                **clock,
            )
        )
        message_id = inserted[0]["id"]
        if email.attachments:
            await OutboxAttachment.insert(
                *[
                    OutboxAttachment(message=message_id, **attachment_columns(attachment))
                    for attachment in email.attachments
                ]
            )
    return message_id


def attachment_columns(attachment: Attachment | AttachmentRecipe) -> dict[str, Any]:
    if isinstance(attachment, AttachmentRecipe):
        return {
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "made_by": attachment.made_by,
            "made_from": attachment.made_from,
        }
    return {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "content": attachment.content,
    }


async def store_made_attachment(message_id: int, recipe: AttachmentRecipe, content: bytes) -> None:
    """Keep an attachment the worker has made, for retries and the e-mail log."""
    await OutboxAttachment.update({OutboxAttachment.content: content}).where(
        (OutboxAttachment.message == message_id)
        & (OutboxAttachment.made_by == recipe.made_by)
        & (OutboxAttachment.made_from == recipe.made_from)
    )


def new_worker_id() -> str:
    """An id for a worker process that says where it runs: host, process id, and a random part so that a
    restarted process never takes over a dead one's identity."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


async def renew_lease(worker_id: str, now: datetime) -> None:
    """Keep the worker alive until `now` plus WORKER_LEASE, registering it if it is not known (yet, or any
    more: a worker taken for dead that turns out to live gets its id back, but not its claims)."""
    await MailWorker.insert(
        MailWorker(id=worker_id, started_at=now, lease_until=now + WORKER_LEASE)
    ).on_conflict(target=MailWorker.id, action="DO UPDATE", values=[MailWorker.lease_until])


async def retire_worker(worker_id: str) -> None:
    """A worker that stops gives back whatever it still claims, for the next claim to take at once."""
    async with write_transaction():
        await OutboxMessage.update({OutboxMessage.claimed_by: None}).where(
            OutboxMessage.claimed_by == worker_id
        )
        await MailWorker.delete().where(MailWorker.id == worker_id)


# A message claimed (or being sent) by no living worker.
IS_ORPHANED = OutboxMessage.status.is_in([OutboxStatus.CLAIMED, OutboxStatus.SENDING]) & (
    OutboxMessage.claimed_by.is_null()
)


async def take_back_lapsed_claims(now: datetime) -> None:
    """Forget the workers whose lease has lapsed, and settle what they were sending when they died: an
    at-most-once message becomes `uncertain`, since the server may have taken it; a message out of
    attempts is given up; the rest are left orphaned for the claim to take."""
    lapsed = [row["id"] for row in await MailWorker.select(MailWorker.id).where(MailWorker.lease_until < now)]
    if lapsed:
        await OutboxMessage.update({OutboxMessage.claimed_by: None}).where(
            one_of(OutboxMessage.claimed_by, lapsed)
        )
        await MailWorker.delete().where(one_of(MailWorker.id, lapsed))
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxStatus.UNCERTAIN,
            OutboxMessage.claimed_at: None,
            OutboxMessage.last_error: "uncertain: the worker stopped while handing it to the SMTP server,"
            " which may have taken it; it is not sent again",
        }
    ).where(
        IS_ORPHANED & (OutboxMessage.status == OutboxStatus.SENDING) & OutboxMessage.at_most_once.eq(True)
    )
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxStatus.FAILED,
            OutboxMessage.claimed_at: None,
            OutboxMessage.last_error: "abandoned: no outcome was reported for the last attempt",
        }
    ).where(IS_ORPHANED & (OutboxMessage.attempts >= MAX_ATTEMPTS))


async def claim_due_messages(limit: int, now: datetime, worker_id: str) -> list[ClaimedMessage]:
    """Claim up to `limit` messages for this worker: due ones, and those a dead worker left behind.

    Claiming renews the worker's own lease, so a claim never belongs to a worker taken for dead. The
    attempt is counted at the claim, so a message whose sending crashes the worker each time still runs
    out of attempts and is given up as failed instead of being tried for ever.
    """
    async with write_transaction():
        await renew_lease(worker_id, now)
        await take_back_lapsed_claims(now)
        due = (
            OutboxMessage.select(OutboxMessage.id)
            .where(
                ((OutboxMessage.status == OutboxStatus.QUEUED) & (OutboxMessage.next_attempt_at <= now))
                | IS_ORPHANED
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if isinstance(current_engine(), PostgresEngine):
            # Rows another worker is claiming right now are passed over instead of waited for.
            due = due.lock_rows("UPDATE", skip_locked=True)
        claimed_ids = [row["id"] for row in await due]
        if not claimed_ids:
            return []
        claimed_rows = await (
            OutboxMessage.update(
                {
                    OutboxMessage.status: OutboxStatus.CLAIMED,
                    OutboxMessage.claimed_at: now,
                    OutboxMessage.claimed_by: worker_id,
                    OutboxMessage.attempts: OutboxMessage.attempts + 1,
                }
            )
            .where(one_of(OutboxMessage.id, claimed_ids))
            .returning(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.created_at)
        )
        emails = await emails_by_id(claimed_ids)

    rows_by_id = {row["id"]: row for row in claimed_rows}
    return [
        ClaimedMessage(
            id=message_id,
            attempts=rows_by_id[message_id]["attempts"],
            queued_at=as_utc(rows_by_id[message_id]["created_at"]),
            email=emails[message_id],
        )
        for message_id in claimed_ids
    ]


async def begin_sending(message_id: int, worker_id: str) -> bool:
    """Record, committed, that this worker is handing the message to SMTP now. False when the message is
    no longer this worker's (its claim was taken back, or it was cancelled): it must not be sent then.
    Call it outside any transaction: a crash after the handover must find the message `sending`."""
    started = await (
        OutboxMessage.update({OutboxMessage.status: OutboxStatus.SENDING})
        .where(
            (OutboxMessage.id == message_id)
            & (OutboxMessage.status == OutboxStatus.CLAIMED)
            & (OutboxMessage.claimed_by == worker_id)
        )
        .returning(OutboxMessage.id)
    )
    return bool(started)


async def mark_sent(message_id: int, now: datetime) -> None:
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxStatus.SENT,
            OutboxMessage.sent_at: now,
            OutboxMessage.claimed_at: None,
            OutboxMessage.claimed_by: None,
            OutboxMessage.last_error: "",
        }
    ).where((OutboxMessage.id == message_id) & (OutboxMessage.status == OutboxStatus.SENDING))


async def mark_uncertain(message_id: int, error: str) -> None:
    """Record that a message being sent may or may not have reached the server (the connection was lost
    on the way): one to be sent at most once is not tried again."""
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxStatus.UNCERTAIN,
            OutboxMessage.claimed_at: None,
            OutboxMessage.claimed_by: None,
            OutboxMessage.last_error: f"uncertain: {error}"[:MAX_ERROR_LENGTH],
        }
    ).where((OutboxMessage.id == message_id) & (OutboxMessage.status == OutboxStatus.SENDING))


async def mark_failed(message_id: int, error: str, now: datetime, permanent: bool = False) -> bool:
    """Record a failed attempt: try again after a growing delay, or give up (returning True) when it was
    the last try or trying again cannot help. Only a claimed message changes: one cancelled meanwhile
    stays cancelled."""
    claimed = (OutboxMessage.id == message_id) & OutboxMessage.status.is_in(
        [OutboxStatus.CLAIMED, OutboxStatus.SENDING]
    )
    async with write_transaction():
        row = await OutboxMessage.select(OutboxMessage.attempts).where(claimed).first()
        if row is None:
            return False
        gives_up = permanent or row["attempts"] >= MAX_ATTEMPTS
        await OutboxMessage.update(
            {
                OutboxMessage.status: OutboxStatus.FAILED if gives_up else OutboxStatus.QUEUED,
                OutboxMessage.next_attempt_at: now + retry_delay(row["attempts"]),
                OutboxMessage.claimed_at: None,
                OutboxMessage.claimed_by: None,
                OutboxMessage.last_error: error[:MAX_ERROR_LENGTH],
            }
        ).where(claimed)
    return gives_up


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed tries: 1 minute, doubling each time, at most an hour."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), LONGEST_RETRY_DELAY)


def attachment_from_row(row: dict[str, Any]) -> Attachment | AttachmentRecipe:
    if row["made_by"] and not row["content"]:
        return AttachmentRecipe(row["filename"], row["content_type"], row["made_by"], row["made_from"])
    return Attachment(filename=row["filename"], content_type=row["content_type"], content=row["content"])


async def emails_by_id(message_ids: list[int]) -> dict[int, Email]:
    """The messages with their attachments, as they were queued."""
    messages = await (
        OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.text_body,
            OutboxMessage.html_body,
            OutboxMessage.headers,
            OutboxMessage.kind,
            OutboxMessage.at_most_once,
        )
        .where(one_of(OutboxMessage.id, message_ids))
        .output(load_json=True)
    )
    attachments: dict[int, list[Attachment | AttachmentRecipe]] = {
        message_id: [] for message_id in message_ids
    }
    for row in await (
        OutboxAttachment.select(
            OutboxAttachment.message,
            OutboxAttachment.filename,
            OutboxAttachment.content_type,
            OutboxAttachment.content,
            OutboxAttachment.made_by,
            OutboxAttachment.made_from,
        )
        .where(one_of(OutboxAttachment.message, message_ids))
        .order_by(OutboxAttachment.id)
    ):
        attachments[row["message"]].append(attachment_from_row(row))
    return {
        row["id"]: Email(
            recipient=row["recipient"],
            subject=row["subject"],
            text=row["text_body"],
            html=row["html_body"],
            headers=row["headers"],
            attachments=tuple(attachments[row["id"]]),
            kind=row["kind"],
            at_most_once=row["at_most_once"],
        )
        for row in messages
    }

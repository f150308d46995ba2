"""The e-mail log staff read (Settings > E-mail log): every message, newest first, with what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boxoffice.mail.outbox import Email, emails_by_id
from boxoffice.mail.tables import OutboxMessage, OutboxStatus
from boxoffice.paging import Page, PageRequest

FIRST_PAGE = PageRequest(1, 50)


@dataclass(frozen=True)
class OutboxEntry:
    """A message as the back-office e-mail log lists it."""

    id: int
    recipient: str
    subject: str
    kind: str
    status: OutboxStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class OutboxMessageDetail:
    entry: OutboxEntry
    email: Email


async def recent_messages(page: PageRequest = FIRST_PAGE) -> Page[OutboxEntry]:
    """One page of the messages, newest first, with how many there are, for the back-office e-mail log;
    a page past the end is the last one."""
    total = await OutboxMessage.count()
    shown = page.within(total)
    read = shown.reading(total)
    rows = await (
        OutboxMessage.select(*ENTRY_COLUMNS)
        .order_by(OutboxMessage.id, ascending=read.backwards)  # newest first, unless read from the end
        .limit(read.limit)
        .offset(read.offset)
    )
    return shown.page([entry_from_row(row) for row in read.in_order(rows)], total)


async def message_detail(message_id: int) -> OutboxMessageDetail | None:
    row = await OutboxMessage.select(*ENTRY_COLUMNS).where(OutboxMessage.id == message_id).first()
    if row is None:
        return None
    emails = await emails_by_id([message_id])
    return OutboxMessageDetail(entry=entry_from_row(row), email=emails[message_id])


ENTRY_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.kind,
    OutboxMessage.status,
    OutboxMessage.attempts,
    OutboxMessage.created_at,
    OutboxMessage.next_attempt_at,
    OutboxMessage.sent_at,
    OutboxMessage.last_error,
)


def entry_from_row(row: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(**{**row, "status": OutboxStatus(row["status"])})

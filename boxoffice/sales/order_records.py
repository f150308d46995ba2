"""Orders as the box office finds and reads them: search, payments, refunds, notes and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import index_checks, like_pattern
from boxoffice.db import as_utc, is_sqlite, write_transaction
from boxoffice.money import Money
from boxoffice.paging import MOST_COUNTED, Page, PageRequest
from boxoffice.sales.confirmation import queue_confirmation
from boxoffice.sales.tables import OrderNote, OrderStatus

MAX_QUERY_LENGTH = 200
MAX_NOTE_LENGTH = 2000
FIRST_PAGE = PageRequest(1, 25)


@dataclass(frozen=True, slots=True)
class OrderSummary:
    id: int
    reference: str
    channel: str
    status: str
    name: str
    email: str
    total: Money
    created_at: datetime


# What an order is found by, as one lower-cased text; the `order_search` migration indexes this very
# expression (PostgreSQL: a trigram index; SQLite: an FTS5 trigram table kept in step by triggers, erasure
# included). Change both together.
SEARCH_TEXT = "LOWER(reference) || ' ' || LOWER(first_name) || ' ' || LOWER(last_name) || ' ' || LOWER(email)"


def orders_source(words: list[str], status: str) -> tuple[str, list[object], str]:
    """FROM and WHERE (portable SQL) of the orders with `status` (any, when it is not one) whose reference,
    buyer's name or e-mail address hold every word, with the column that reads them newest first when
    descending. On SQLite the FTS5 table drives (CROSS JOIN keeps it outermost) and hands out matches in
    rowid order, so a LIMIT stops it; on PostgreSQL the planner chooses between the trigram index and the
    primary key read backwards."""
    clauses: list[str] = []
    values: list[object] = []
    if words and is_sqlite():
        checks, values = index_checks(words, "order_search")
        clauses.append(checks)
    for word in words if not is_sqlite() else []:
        clauses.append(f"({SEARCH_TEXT}) LIKE {{}} ESCAPE '\\'")
        values.append(like_pattern(word))
    if status in {choice.value for choice in OrderStatus}:
        clauses.append('"order".status = {}')
        values.append(status)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    if words and is_sqlite():
        return (
            f'order_search CROSS JOIN "order" ON "order".id = order_search.rowid{where}',
            values,
            "order_search.rowid",
        )
    return f'"order"{where}', values, '"order".id'


async def search_orders(query: str, status: str = "", page: PageRequest = FIRST_PAGE) -> Page[OrderSummary]:
    """One page of the orders, newest first, whose reference, buyer's name or e-mail address match every
    word of `query`, and with `status` if one is given (say, reservations waiting to be paid at the box
    office), with how many match up to `MOST_COUNTED` (the page says when there are more, and only those
    can be paged through); a page past the end is the last one. However broad the search, no more than
    `MOST_COUNTED` + 1 matches are read, and a page is read in the index's own order."""
    words = query[:MAX_QUERY_LENGTH].lower().split()[:8]
    source, values, key = orders_source(words, status)
    [counted] = await OrderNote.raw(
        f"SELECT COUNT(*) AS total FROM (SELECT 1 FROM {source} LIMIT {MOST_COUNTED + 1}) AS counted", *values
    )
    total = min(counted["total"], MOST_COUNTED)
    shown = page.within(total)
    rows = await OrderNote.raw(
        'SELECT "order".id, reference, channel, status, first_name, last_name, email, total, currency,'
        f" created_at FROM {source} ORDER BY {key} DESC LIMIT {{}} OFFSET {{}}",
        *values,
        shown.size,
        shown.offset,
    )
    orders = [
        OrderSummary(
            id=row["id"],
            reference=row["reference"],
            channel=row["channel"],
            status=row["status"],
            name=" ".join(part for part in (row["first_name"], row["last_name"]) if part),
            email=row["email"],
            total=Money(row["currency"], row["total"]),
            created_at=as_utc(row["created_at"]),
        )
        for row in rows
    ]
    return shown.page(orders, total, more=counted["total"] > MOST_COUNTED)


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: int
    method: str
    amount: Money
    refunded: Money
    tendered: Money | None
    provider_reference: str
    reason: str
    staff_name: str | None
    created_at: datetime

    @property
    def refundable(self) -> Money:
        if self.method == "complimentary":
            return Money(self.amount.currency, 0)
        return Money(self.amount.currency, self.amount.amount - self.refunded.amount)

    @property
    def change_given(self) -> Money | None:
        if self.tendered is None:
            return None
        return Money(self.amount.currency, self.tendered.amount - self.amount.amount)


@dataclass(frozen=True, slots=True)
class RefundRow:
    amount: Money
    method: str
    reason: str
    provider_reference: str | None
    staff_name: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoteRow:
    text: str
    author_name: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: datetime
    action: str
    actor_name: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class OrderLedger:
    payments: list[PaymentRow]
    refunds: list[RefundRow]
    notes: list[NoteRow]
    history: list[HistoryRow]
    buyer_removed: bool  # the buyer's contact was removed (erased): the order keeps no details of them
    buyer_contact: int | None = None  # the buyer's CRM contact, while there is one to open

    @property
    def refundable_payments(self) -> list[PaymentRow]:
        return [payment for payment in self.payments if payment.refundable.amount > 0]


async def order_ledger(order_id: int) -> OrderLedger:
    """The money, notes and audited actions of one order, oldest first."""
    payments = await OrderNote.raw(
        """
        SELECT p.id, p.method, p.amount, p.refunded, p.tendered, p.currency, p.provider_reference, p.reason,
               p.created_at, s.name AS staff_name
        FROM payment p LEFT JOIN staff_user s ON s.id = p.staff
        WHERE p."order" = {} ORDER BY p.id
        """,
        order_id,
    )
    refunds = await OrderNote.raw(
        """
        SELECT r.amount, r.currency, r.reason, r.provider_reference, r.created_at, p.method,
               s.name AS staff_name
        FROM refund r JOIN payment p ON p.id = r.payment LEFT JOIN staff_user s ON s.id = r.staff
        WHERE r."order" = {} ORDER BY r.id
        """,
        order_id,
    )
    notes = await OrderNote.raw(
        """
        SELECT n.text, n.created_at, s.name AS author_name
        FROM order_note n LEFT JOIN staff_user s ON s.id = n.author
        WHERE n."order" = {} ORDER BY n.id
        """,
        order_id,
    )
    buyer = await OrderNote.raw(
        'SELECT c.id, c.erased_at FROM "order" o JOIN contact c ON c.id = o.contact WHERE o.id = {}', order_id
    )
    removed = bool(buyer) and buyer[0]["erased_at"] is not None
    history = await AuditEntry.raw(
        """
        SELECT a.at, a.action, a.detail, s.name AS actor_name
        FROM audit_entry a LEFT JOIN staff_user s ON s.id = a.actor
        WHERE (a.object_type = {} AND a.object_id = {}) OR (a.object_type = {} AND a.detail LIKE {})
        ORDER BY a.id
        """,
        "order",
        str(order_id),
        "ticket",
        f'%"order_id": {order_id}}}%',
    )
    return OrderLedger(
        payments=[
            PaymentRow(
                id=row["id"],
                method=row["method"],
                amount=Money(row["currency"], row["amount"]),
                refunded=Money(row["currency"], row["refunded"]),
                tendered=None if row["tendered"] is None else Money(row["currency"], row["tendered"]),
                provider_reference=row["provider_reference"],
                reason=row["reason"],
                staff_name=row["staff_name"],
                created_at=as_utc(row["created_at"]),
            )
            for row in payments
        ],
        refunds=[
            RefundRow(
                amount=Money(row["currency"], row["amount"]),
                method=row["method"],
                reason=row["reason"],
                provider_reference=row["provider_reference"],
                staff_name=row["staff_name"],
                created_at=as_utc(row["created_at"]),
            )
            for row in refunds
        ],
        notes=[NoteRow(row["text"], row["author_name"], as_utc(row["created_at"])) for row in notes],
        history=[
            HistoryRow(as_utc(row["at"]), row["action"], row["actor_name"], row["detail"]) for row in history
        ],
        buyer_removed=removed,
        buyer_contact=buyer[0]["id"] if buyer and not removed else None,
    )


async def add_order_note(order_id: int, text: str, *, author_id: int, now: datetime) -> None:
    """Append a note to an order; ValueError for an empty one."""
    text = text.strip()[:MAX_NOTE_LENGTH]
    if not text:
        raise ValueError("A note needs some text.")
    await OrderNote.insert(OrderNote(order=order_id, author=author_id, text=text, created_at=now))


async def resend_confirmation(order_id: int, *, staff_id: int, ip: str) -> None:
    """Queue the order's confirmation e-mail, with its tickets, again (lost, or sent to spam). Audited."""
    async with write_transaction():
        await queue_confirmation(order_id)
        await audit.record(
            "order.email_resent", actor_id=staff_id, ip=ip, object_type="order", object_id=order_id
        )

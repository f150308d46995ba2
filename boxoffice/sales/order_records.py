"""Orders as the box office finds and reads them: search, payments, refunds, notes and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit
from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import like_pattern
from boxoffice.db import as_utc, write_transaction
from boxoffice.money import Money
from boxoffice.paging import Page, PageRequest
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


async def search_orders(query: str, status: str = "", page: PageRequest = FIRST_PAGE) -> Page[OrderSummary]:
    """One page of the orders, newest first, whose reference, buyer's name or e-mail address match every
    word of `query`, and with `status` if one is given (say, reservations waiting to be paid at the box
    office), with how many match; a page past the end is the last one."""
    clauses: list[str] = ["1 = 1"]
    values: list[object] = []
    if status in {choice.value for choice in OrderStatus}:
        clauses.append("status = {}")
        values.append(status)
    for term in query[:MAX_QUERY_LENGTH].lower().split()[:8]:
        pattern = like_pattern(term)
        clauses.append(
            "(LOWER(reference) LIKE {} ESCAPE '\\' OR LOWER(first_name) LIKE {} ESCAPE '\\'"
            " OR LOWER(last_name) LIKE {} ESCAPE '\\' OR email LIKE {} ESCAPE '\\')"
        )
        values += [pattern] * 4
    where = " AND ".join(clauses)
    [counted] = await OrderNote.raw(f'SELECT COUNT(*) AS total FROM "order" WHERE {where}', *values)
    shown = page.within(counted["total"])
    read = shown.reading(counted["total"])
    direction = "ASC" if read.backwards else "DESC"  # newest first, unless read from the end
    rows = await OrderNote.raw(
        "SELECT id, reference, channel, status, first_name, last_name, email, total, currency, created_at"
        f' FROM "order" WHERE {where} ORDER BY id {direction} LIMIT {{}} OFFSET {{}}',
        *values,
        read.limit,
        read.offset,
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
        for row in read.in_order(rows)
    ]
    return shown.page(orders, counted["total"])


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

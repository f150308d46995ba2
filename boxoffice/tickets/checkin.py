"""Check-in at the door: a scanned or typed ticket is admitted once, and only to its own performance.

What must stay true: a ticket admits one person. The admission is one INSERT guarded by the UNIQUE
ticket column of `admission`, and it only inserts while the ticket is valid and its order paid, so two
scanners reading the same ticket at the same instant (or a ticket cancelled while it is being scanned)
cannot both let someone in. The scan that loses the race reads who won it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from boxoffice.auth import audit
from boxoffice.auth.tables import StaffUser
from boxoffice.db import as_utc, write_transaction
from boxoffice.sales.catalog import ScheduledPerformance, scheduled_performance
from boxoffice.sales.holds import seat_name
from boxoffice.sales.tables import (
    Admission,
    OrderStatus,
    Ticket,
    TicketStatus,
)
from boxoffice.tickets.signing import TicketSigner


class Outcome(StrEnum):
    ADMITTED = "admitted"
    ALREADY_ADMITTED = "already_admitted"
    CANCELLED = "cancelled"
    OTHER_PERFORMANCE = "other_performance"
    NOT_VALID = "not_valid"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What the door is told about one scan. `code` is set whenever the scan named one of our tickets."""

    outcome: Outcome
    code: str | None = None
    ticket_name: str = ""
    admitted_at: datetime | None = None
    admitted_by: str = ""
    other_performance: ScheduledPerformance | None = None


ADMIT_SQL = """
    INSERT INTO admission (ticket, performance, admitted_at, staff)
    SELECT t.id, t.performance, {}, {}
    FROM ticket t JOIN "order" o ON o.id = t."order"
    WHERE t.id = {} AND t.performance = {} AND t.status = {} AND o.status = {}
    ON CONFLICT (ticket) DO NOTHING
    RETURNING id
"""


async def scan(
    performance_id: int, scanned: str, *, staff_id: int, signer: TicketSigner, now: datetime
) -> ScanResult:
    """Admit the ticket that `scanned` names to `performance_id`, or say why not.

    Anything that is not a well-formed code, or a QR payload with a valid signature, is NOT_VALID before
    the database is asked; so is a code that names no ticket."""
    code = signer.code_from_scan(scanned)
    if code is None:
        return ScanResult(Outcome.NOT_VALID)
    ticket = (
        await Ticket.select(
            Ticket.id,
            Ticket.performance,
            Ticket.status,
            Ticket.order.status.as_alias("order_status"),
            Ticket.order_line.description.as_alias("ticket_name"),
            Ticket.seat.section.as_alias("section"),
            Ticket.seat.row.as_alias("row"),
            Ticket.seat.label.as_alias("label"),
        )
        .where(Ticket.code == code)
        .first()
    )
    if ticket is None:
        return ScanResult(Outcome.NOT_VALID)
    name = ticket["ticket_name"]
    if ticket["label"] is not None:  # a numbered seat: the door shows where to send them
        name = f"{name} · {seat_name(ticket)}"
    if ticket["status"] != TicketStatus.VALID or ticket["order_status"] != OrderStatus.PAID:
        return ScanResult(Outcome.CANCELLED, code, name)
    if ticket["performance"] != performance_id:
        return ScanResult(
            Outcome.OTHER_PERFORMANCE,
            code,
            name,
            other_performance=await scheduled_performance(ticket["performance"]),
        )
    async with write_transaction():
        admitted = await Admission.raw(
            ADMIT_SQL,
            now,
            staff_id,
            ticket["id"],
            performance_id,
            TicketStatus.VALID.value,
            OrderStatus.PAID.value,
        )
    if admitted:
        return ScanResult(Outcome.ADMITTED, code, name, admitted_at=now)
    earlier = (
        await Admission.select(Admission.admitted_at, Admission.staff)
        .where(Admission.ticket == ticket["id"])
        .first()
    )
    if earlier is None:  # cancelled or refunded between the look-up and the INSERT
        return ScanResult(Outcome.CANCELLED, code, name)
    return ScanResult(
        Outcome.ALREADY_ADMITTED,
        code,
        name,
        admitted_at=as_utc(earlier["admitted_at"]),
        admitted_by=await staff_name(earlier["staff"]),
    )


async def staff_name(staff_id: int | None) -> str:
    if staff_id is None:
        return "someone"
    row = await StaffUser.select(StaffUser.name).where(StaffUser.id == staff_id).first()
    return row["name"] if row else "a former staff member"


async def undo_admission(ticket_code: str, *, staff_id: int, ip: str) -> int | None:
    """Take back the admission of the ticket with `ticket_code` (someone was let in by mistake, or
    scanned the wrong ticket); returns its performance's id, or None when it was not admitted."""
    async with write_transaction():
        ticket = await Ticket.select(Ticket.id).where(Ticket.code == ticket_code).first()
        if ticket is None:
            return None
        removed = (
            await Admission.delete()
            .where(Admission.ticket == ticket["id"])
            .returning(Admission.performance, Admission.staff)
        )
        if not removed:
            return None
        performance_id = removed[0]["performance"]
        await audit.record(
            "checkin.undone",
            actor_id=staff_id,
            ip=ip,
            object_type="ticket",
            object_id=ticket["id"],
            detail={"performance": performance_id, "admitted_by": removed[0]["staff"]},
        )
    return performance_id


async def counts(performance_id: int) -> tuple[int, int]:
    """(admitted, expected): the valid tickets of paid orders for the performance, and how many of them
    are in. A ticket cancelled or refunded after it was admitted leaves both."""
    admitted = await Admission.count().where(
        (Admission.performance == performance_id)
        & (Admission.ticket.status == TicketStatus.VALID)
        & (Admission.ticket.order.status == OrderStatus.PAID)
    )
    expected = await Ticket.count().where(
        (Ticket.performance == performance_id)
        & (Ticket.status == TicketStatus.VALID)
        & (Ticket.order.status == OrderStatus.PAID)
    )
    return admitted, expected

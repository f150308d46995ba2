"""Reprinting a ticket: it gets a new code, so a lost or copied printout stops scanning at the door."""

from __future__ import annotations

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.sales.orders import new_ticket_code
from boxoffice.sales.tables import Admission, Ticket, TicketStatus


class ReprintRefused(Refused):
    """The ticket cannot be reprinted; the message says why, for the operator."""


async def reprint_ticket(ticket_id: int, *, staff_id: int, ip: str) -> str:
    """Give a valid ticket that has not been let in a new code, and return it. Audited."""
    async with write_transaction():
        if await Admission.exists().where(Admission.ticket == ticket_id):
            raise ReprintRefused(
                "This ticket has already been let in at the door, so it cannot be reprinted."
            )
        code = new_ticket_code()
        changed = (
            await Ticket.update({Ticket.code: code})
            .where((Ticket.id == ticket_id) & (Ticket.status == TicketStatus.VALID))
            .returning(Ticket.order)
        )
        if not changed:
            raise ReprintRefused("Only a valid ticket can be reprinted.")
        await audit.record(
            "ticket.reprinted",
            actor_id=staff_id,
            ip=ip,
            object_type="ticket",
            object_id=ticket_id,
            detail={"order_id": changed[0]["order"]},
        )
    return code

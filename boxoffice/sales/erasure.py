"""The sales side of removing a contact (`privacy.erasure`): their buyer details blanked on their orders
and the tickets PDFs kept for those orders deleted (they print the buyer's name), and their details taken
out of what staff typed for their payments and refunds. The orders, lines, tickets, payments and refunds
themselves stay, for the accounts."""

from __future__ import annotations

from boxoffice.crm.contacts import FIELD_LIMITS
from boxoffice.db import one_of
from boxoffice.documents.redaction import redact
from boxoffice.sales.tables import CheckoutDraft, Order, OrderNote, Payment, Refund, TicketsPdf

BUYER_FIELDS = (*FIELD_LIMITS, "buyer_ip")


async def erase_orders(contact_id: int, emails: list[str]) -> int:
    """Blank the buyer details of the contact's orders, and of unlinked orders placed with their
    addresses, which from now on are marked as the removed contact's too; their kept tickets PDFs and
    the checkout details kept under their addresses go."""
    blank = {getattr(Order, name): "" for name in BUYER_FIELDS}
    if emails:
        await Order.update({**blank, Order.contact: contact_id}).where(
            Order.contact.is_null() & one_of(Order.email, emails)
        )
    erased = await Order.update(blank).where(Order.contact == contact_id).returning(Order.id)
    if emails:  # details typed at a checkout whose hold lapsed, kept for a day at most
        await CheckoutDraft.raw(
            f"DELETE FROM checkout_draft WHERE LOWER(email) IN ({', '.join('{}' for _ in emails)})", *emails
        )
    await TicketsPdf.delete().where(one_of(TicketsPdf.order, [row["id"] for row in erased]))
    return len(erased)


async def erase_order_text(contact_id: int, identifiers: list[str]) -> None:
    """Blank the staff's notes on the contact's orders, and take the contact's details out of what staff
    typed for their payments and refunds (a complimentary ticket's reason, a terminal's reference); the
    amounts, methods and the rest of those words stay for the accounts."""
    order_ids = [row["id"] for row in await Order.select(Order.id).where(Order.contact == contact_id)]
    if not order_ids:
        return
    await OrderNote.update({OrderNote.text: ""}).where(one_of(OrderNote.order, order_ids))
    for table in (Payment, Refund):
        rows = await table.select(table.id, table.reason, table.provider_reference).where(
            one_of(table.order, order_ids)
        )
        for row in rows:
            values = {
                column: redact(row[column._meta.name], identifiers)
                for column in (table.reason, table.provider_reference)
                if row[column._meta.name]
            }
            if any(values[column] != row[column._meta.name] for column in values):
                await table.update(values).where(table.id == row["id"])

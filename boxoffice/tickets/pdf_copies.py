"""The tickets PDF made for an order, kept in the database (`sales.tables.TicketsPdf`) and handed out again
while nothing it shows has changed: the buyer downloading their tickets twice, or the confirmation's PDF,
made by `boxoffice worker`, downloaded afterwards. Every process sees the same copies.

A copy is found by the order and the fingerprint of what would be printed now (`printing.fingerprint`), so
a reprint (a new code), a cancellation or an exchange, or a change to the buyer's name, the performance,
the venue's ticket layout or the design, finds none and a new PDF is made, replacing it: one copy an
order. At most COPIES_KEPT are kept, the most recently made; each new one pushes out the oldest beyond
that, so the table stays near COPIES_KEPT times an order's PDF (a ten-ticket order's is about 25 KB).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from boxoffice.db import write_transaction
from boxoffice.sales.tables import TicketsPdf

log = logging.getLogger(__name__)

COPIES_KEPT = 2000


async def kept_copy(order_id: int, fingerprint: str) -> bytes | None:
    """The PDF kept for the order, if it was made from what `fingerprint` describes."""
    row = (
        await TicketsPdf.select(TicketsPdf.content)
        .where((TicketsPdf.order == order_id) & (TicketsPdf.fingerprint == fingerprint))
        .first()
    )
    return bytes(row["content"]) if row else None


async def keep_copy(order_id: int, fingerprint: str, content: bytes, now: datetime | None = None) -> None:
    """Keep `content` as the order's PDF in place of any earlier one, and let the oldest copies beyond
    COPIES_KEPT go. A copy that cannot be written (the database busy) is only a PDF to make again: the
    buyer gets theirs regardless."""
    made_at = now or datetime.now(UTC)
    try:
        async with write_transaction():
            await TicketsPdf.insert(
                TicketsPdf(order=order_id, fingerprint=fingerprint, content=content, made_at=made_at)
            ).on_conflict(
                target=TicketsPdf.order,
                action="DO UPDATE",
                values=[TicketsPdf.fingerprint, TicketsPdf.content, TicketsPdf.made_at],
            )
            await TicketsPdf.raw(
                "DELETE FROM tickets_pdf WHERE made_at < "
                "(SELECT made_at FROM tickets_pdf ORDER BY made_at DESC LIMIT 1 OFFSET {})",
                COPIES_KEPT - 1,
            )
    except Exception as error:  # see the docstring
        log.warning("the tickets PDF of order %s was not kept: %s", order_id, type(error).__name__)

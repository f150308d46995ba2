"""Tickets shown on the buyer's booking page: each valid ticket's signed QR code, as the door scans it
from the printed ticket, for showing on a phone instead.

The signed payload is as good as the ticket, so it only ever appears on the page behind the booking's own
signed address (which is never cached: `Cache-Control: no-store`)."""

from __future__ import annotations

from boxoffice.sales.bookings import Booking
from boxoffice.tickets.signing import TicketSigner, readable_code


def ticket_qr_codes(booking: Booking, signer: TicketSigner) -> dict[str, str]:
    """Each valid ticket's code -> its QR code as an inline `<svg>` (no size, no style attribute: the
    stylesheet sizes it and the CSP forbids inline styles). Callers show them for paid bookings only:
    the tickets of any other are not (or no longer) good at the door."""
    import segno  # only web workers that show a booking load it

    codes = {}
    for performance in booking.performances:
        for ticket in performance.tickets:
            if ticket.status != "valid":
                continue
            codes[ticket.code] = segno.make_qr(signer.qr_payload(ticket.code), error="m").svg_inline(
                title=f"QR code of ticket {readable_code(ticket.code)}",
                svgclass="qr-code ticket-qr",
                lineclass="qr-code-dark",
                omitsize=True,
                light="#fff",
            )
    return codes

"""Holding what a hold form asks for, shared by the storefront's and the counter's hold routes.

A general-admission form asks for quantities by ticket type (`sales.holds.hold_tickets`), a seat form
for seats each with its ticket type (`sales.seating.claims.hold_seats`); the routes differ only in how
they read their form and what page they answer with. Here the right service is called with the
channel's limits, and a refusal becomes its message and status: 409 when someone else took the
tickets or seats meanwhile (choosing again may work), 400 when the choice itself was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.sales import holds
from boxoffice.sales.seating.claims import SeatChoice, hold_seats


@dataclass(frozen=True, slots=True)
class HoldLimits:
    """How long a channel holds, how many an order may have, and whether the counter's rules apply."""

    hold_minutes: int
    max_per_order: int
    counter: bool = False


@dataclass(frozen=True, slots=True)
class HoldRefusal:
    message: str
    status_code: int


async def hold_asked(
    basket_token: str,
    performance_id: int,
    asked: dict[int, int] | list[SeatChoice],
    limits: HoldLimits,
    now: datetime,
) -> HoldRefusal | None:
    """Hold `asked` (quantities by ticket type, or chosen seats) for the basket; None when held."""
    hold = holds.hold_tickets if isinstance(asked, dict) else hold_seats
    try:
        await hold(
            basket_token,
            performance_id,
            asked,  # type: ignore[arg-type]  # each service takes its own kind of choice
            hold_minutes=limits.hold_minutes,
            max_per_order=limits.max_per_order,
            now=now,
            counter=limits.counter,
        )
    except holds.HoldRefused as refusal:
        return HoldRefusal(str(refusal), 409 if isinstance(refusal, holds.SoldOut) else 400)
    return None

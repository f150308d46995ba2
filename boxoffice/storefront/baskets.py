"""The basket cookie: what names a buyer's holds, set when they first hold tickets or seats; and what
the storefront's hold routes share (`web.holding` holds)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect

from boxoffice.sales.seating.claims import SeatChoice
from boxoffice.venue.settings import StorefrontSettings
from boxoffice.web.dependencies import AppSettings
from boxoffice.web.holding import HoldLimits, HoldRefusal, hold_asked

BASKET_COOKIE = "boxoffice_basket"


def basket_cookie(settings: AppSettings, token: str) -> Cookie:
    return Cookie(
        key=BASKET_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=24 * 3600,
        path="/",
    )


async def hold_for_buyer(
    request: Request,
    settings: AppSettings,
    venue: StorefrontSettings,
    performance_id: int,
    asked: dict[int, int] | list[SeatChoice],
) -> Redirect | HoldRefusal:
    """Hold what the buyer asked for in their basket (a new one on their first hold), within the
    venue's limits, and go on to checkout; or why nothing was held."""
    token = request.cookies.get(BASKET_COOKIE) or secrets.token_urlsafe(32)
    limits = HoldLimits(venue.hold_minutes, venue.max_tickets_per_order)
    refusal = await hold_asked(token, performance_id, asked, limits, datetime.now(UTC))
    if refusal is not None:
        return refusal
    return Redirect(path="/checkout", status_code=303, cookies=[basket_cookie(settings, token)])

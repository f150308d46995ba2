"""Every public page, in one router: no session, no staff guard, and nothing here may reveal more than
the address it was given (a booking's signed token, an unsubscribe token)."""

from __future__ import annotations

from litestar import Router

from boxoffice.storefront import (
    booking,
    checkout,
    house,
    policies,
    privacy_centre,
    seats,
    unsubscribe,
    webhooks,
    whats_on,
)

storefront_router = Router(
    path="/",
    guards=[house.identify_house],
    route_handlers=[
        *house.ROUTES,
        *whats_on.ROUTES,
        *checkout.ROUTES,
        *seats.ROUTES,
        *booking.ROUTES,
        *webhooks.ROUTES,
        *policies.ROUTES,
        *unsubscribe.ROUTES,
        *privacy_centre.ROUTES,
    ],
)

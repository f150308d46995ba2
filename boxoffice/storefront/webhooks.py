"""Stripe's webhook: the events that settle payments and refunds, whoever's browser closed first."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Response

from boxoffice.payments.stripe_gateway import WebhookRejected
from boxoffice.sales.online_payment import EventArrivedEarly, apply_stripe_event
from boxoffice.web.dependencies import Gateway

# Stripe's events are a few kilobytes; the body is read before its signature is checked.
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024


@post(
    "/webhooks/stripe",
    name="webhooks.stripe",
    opt={"exclude_from_csrf": True},
    status_code=200,
    request_max_body_size=WEBHOOK_MAX_BODY_BYTES,
)
async def stripe_webhook(request: Request, gateway: Gateway) -> Response:
    """Stripe's calls cannot carry our CSRF token; Stripe's signature on the raw body stands in for it.

    A body that is no event answers 400; a genuine event we cannot use answers 200 and changes nothing,
    since Stripe would otherwise send the same body again for days; one that arrived before the event it
    depends on answers 409, for Stripe to send it again later."""
    if gateway is None:
        raise NotFoundException()
    try:
        event = gateway.parse_webhook(await request.body(), request.headers.get("stripe-signature"))
    except WebhookRejected:
        raise HTTPException(status_code=400, detail="invalid signature") from None
    try:
        await apply_stripe_event(gateway, event, now=datetime.now(UTC))
    except EventArrivedEarly:
        # Any answer but 2xx makes Stripe deliver the event again, for up to three days.
        return Response(content={"received": False, "retry": "later"}, status_code=409)
    return Response(content={"received": True})


ROUTES = [stripe_webhook]

"""Seats come back on time when holds and unpaid orders lapse, even if no buyer looks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boxoffice.payments.stripe_gateway import StripeGateway
from boxoffice.sales.maintenance import tidy_sales
from boxoffice.sales.tables import EventStatus, Order, Performance
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.shop import check_out, choose, seats_left


async def test_the_worker_gives_back_lapsed_seats_and_closes_their_stripe_sessions(shop, show, fake_stripe):
    performance_id, types = show
    await choose(shop, performance_id, {types["Adult"]: "3"})
    await check_out(shop)
    order = await Order.select().first()
    await Order.update({Order.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)
    gateway = StripeGateway(
        secret_key=fake_stripe.secret_key, api_base=fake_stripe.url, webhook_secret=fake_stripe.webhook_secret
    )

    try:
        await tidy_sales(gateway, datetime.now(UTC))
        await tidy_sales(gateway, datetime.now(UTC))  # a second round finds nothing more to do
    finally:
        await gateway.aclose()

    assert await seats_left(performance_id) == 10
    lapsed = (
        await Order.select(Order.status, Order.stripe_session_open).where(Order.id == order["id"]).first()
    )
    assert lapsed == {"status": "expired", "stripe_session_open": False}
    [expire] = fake_stripe.requests_to("POST", f"/v1/checkout/sessions/{order['stripe_session']}/expire")
    assert expire.idempotency_key == f"order-{order['id']}-expire"
    assert fake_stripe.sessions[order["stripe_session"]]["status"] == "expired"


async def test_a_performance_not_on_sale_sells_nothing(shop, database):
    venue = await make_venue("closed")
    event = await make_event(venue, "closed", "Closed Show", status=EventStatus.OFF_SALE)
    performance = await make_performance(event, datetime(2030, 1, 1, 19, tzinfo=UTC), {"Adult": 1000})
    type_id = (await Performance.raw("SELECT id FROM ticket_type WHERE performance = {}", performance.id))[0][
        "id"
    ]

    page = await shop.get(f"/performances/{performance.id}")
    assert "not on sale online" in page.text
    response = await shop.post(
        f"/performances/{performance.id}/hold",
        data={f"quantity_{type_id}": "1", "_csrf_token": shop.cookies["boxoffice_csrf"]},
    )

    assert response.status_code == 400 and "not on sale" in response.text
    assert await seats_left(performance.id) == 100

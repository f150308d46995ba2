"""1,000 deliveries of Stripe's events, shuffled, duplicated and out of order, against the webhook of a
`boxoffice serve --workers 2`: each effect happens exactly once.

Stripe delivers each event at least once, in no promised order, and delivers again whatever it got no 2xx
for. Here 60 buyers check out; Stripe then reports 40 payments, 20 partial refunds and 8 refunds of the
rest made in its dashboard (each `charge.refunded` carrying the charge's refunds so far), and 15 lapsed
sessions. These events are sent, eight at a time, in a shuffled list of 1,000 deliveries in which each
appears at least once, and any delivery not answered 2xx is sent again later, as Stripe would.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.drills.buyers import Buyer, demo_on_sale, seats_accounted_for, with_stripe
from tests.support.fake_stripe import FakeStripe
from tests.support.rush import fetch, running_server

SEATS = 100
BUYERS = 60
PAID = range(0, 40)
PARTLY_REFUNDED = range(0, 12)
FULLY_REFUNDED = range(12, 20)  # a part, then the rest
LAPSED = range(40, 55)  # the last five stay unpaid, their sessions open
PART = 100
DELIVERIES = 1000
SENDERS = 8
SEED = 19


async def place_orders(base_url: str, on_sale, count: int) -> list[Buyer]:
    """`count` buyers of one ticket each, sent to Stripe's page, a few at a time."""
    gate = asyncio.Semaphore(SENDERS)

    async def one(number: int) -> Buyer:
        async with gate:
            client = httpx.AsyncClient(base_url=base_url, timeout=60)
            buyer = Buyer(client, f"replay{number}@drill.example", on_sale, tickets=1)
            await buyer.buy_until_sent_to_stripe()
            await client.aclose()
            return buyer

    return list(await asyncio.gather(*(one(number) for number in range(count))))


def stripe_events(stripe: FakeStripe, buyers: list[Buyer]) -> list[bytes]:
    """The bodies of what Stripe reports after the buyers pay, the venue refunds and sessions lapse."""
    events = []

    def report(event_type: str, obj: dict) -> None:
        events.append(stripe.webhook_event(event_type, obj)[0])

    for number in PAID:
        report("checkout.session.completed", stripe.complete_session(buyers[number].session_ids[-1]))
    for number in [*PARTLY_REFUNDED, *FULLY_REFUNDED]:
        intent = stripe.sessions[buyers[number].session_ids[-1]]["payment_intent"]
        report("charge.refunded", stripe.refund_in_dashboard(intent, PART))
        if number in FULLY_REFUNDED:
            rest = stripe.payment_intents[intent]["amount"] - PART
            report("charge.refunded", stripe.refund_in_dashboard(intent, rest))
    for number in LAPSED:
        session = stripe.sessions[buyers[number].session_ids[-1]]
        session.update(status="expired", url=None)
        report("checkout.session.expired", session)
    return events


async def deliver(base_url: str, stripe: FakeStripe, events: list[bytes]) -> Counter[int]:
    """Every event at least once, DELIVERIES in all, shuffled; a delivery answered otherwise than 2xx is
    queued again at a random later place. Returns the count of each status answered."""
    shuffle = random.Random(SEED)
    queue = list(events)
    queue += shuffle.choices(queue, k=DELIVERIES - len(queue))
    shuffle.shuffle(queue)
    statuses: Counter[int] = Counter()
    lock = asyncio.Lock()

    async def sender(client: httpx.AsyncClient) -> None:
        while True:
            async with lock:
                if not queue:
                    return
                payload = queue.pop()
            headers = {"stripe-signature": stripe.sign(payload), "content-type": "application/json"}
            status = (await client.post("/webhooks/stripe", content=payload, headers=headers)).status_code
            async with lock:
                statuses[status] += 1
                if not 200 <= status < 300:
                    queue.insert(shuffle.randrange(len(queue) + 1), payload)

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        await asyncio.gather(*(sender(client) for _ in range(SENDERS)))
    return statuses


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_stripe_events_replayed_shuffled_and_twice_have_each_effect_once(
    database_url: str, tmp_path: Path, report
) -> None:
    env, on_sale = await demo_on_sale(database_url, tmp_path, SEATS)
    with FakeStripe() as stripe:
        env = with_stripe(env, stripe)
        with running_server(env, tmp_path, workers=2) as server:
            buyers = await place_orders(server.base_url, on_sale, BUYERS)
            events = stripe_events(stripe, buyers)
            statuses = await deliver(server.base_url, stripe, events)
        report(
            f"{len(events)} events (payments, refunds, lapses) in {sum(statuses.values())} deliveries,"
            f" shuffled with seed {SEED}, {SENDERS} at a time; answers: {dict(sorted(statuses.items()))}"
        )

        orders = {
            row[0]: row[1:]
            for row in await fetch(database_url, 'SELECT stripe_session, id, status FROM "order"')
        }
        refunds = await fetch(database_url, "SELECT provider_reference, amount FROM refund")
        payments = {
            row[0]: row[1:]
            for row in await fetch(
                database_url,
                "SELECT provider_reference, amount, refunded FROM payment WHERE method = 'stripe'",
            )
        }
        tickets = Counter(
            (row[0], row[1]) for row in await fetch(database_url, 'SELECT "order", status FROM ticket')
        )
        confirmations = await fetch(
            database_url, "SELECT COUNT(*) FROM outbox_message WHERE kind = 'order_confirmation'"
        )
        [(claimed,)] = await fetch(database_url, "SELECT COUNT(*) FROM stripe_event")

        assert set(statuses) <= {200, 409}, statuses
        assert claimed == len(events)
        assert sorted(refunds) == sorted(
            (refund["id"], refund["amount"]) for refund in stripe.refunds.values()
        )
        for number, buyer in enumerate(buyers):
            session = stripe.sessions[buyer.session_ids[-1]]
            order_id, status = orders[session["id"]]
            if number in FULLY_REFUNDED:
                assert status == "refunded" and tickets[(order_id, "cancelled")] == 1
            elif number in PAID:
                assert status == "paid" and tickets[(order_id, "valid")] == 1
            else:
                assert status == ("expired" if number in LAPSED else "pending_payment")
                assert tickets[(order_id, "valid")] + tickets[(order_id, "cancelled")] == 0
            if number in PAID:
                amount, refunded = payments[session["payment_intent"]]
                expected = amount if number in FULLY_REFUNDED else PART if number in PARTLY_REFUNDED else 0
                assert (amount, refunded) == (session["amount_total"], expected), number
        assert len(payments) == len(PAID) and confirmations == [(len(PAID),)]
        valid = len(PAID) - len(FULLY_REFUNDED)
        assert await seats_accounted_for(database_url, on_sale) == (SEATS, valid)
    report(
        f"found: {claimed} events applied once each; {len(PAID)} orders paid with one payment, one ticket and"
        f" one confirmation each; {len(refunds)} refunds recorded once, {len(FULLY_REFUNDED)} orders refunded"
        f" in full with their tickets cancelled; {len(LAPSED)} lapsed; free + held + ordered seats add up"
    )

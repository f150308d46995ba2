"""`boxoffice serve --workers 2` told to stop (SIGTERM) while a checkout waits on a slow Stripe: the
request in flight completes (the buyer is sent to Stripe's page and the order keeps its session), then
the server exits cleanly. (tests/integration/mail/test_worker_shutdown.py does the same for the worker.)"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.drills.buyers import Buyer, demo_on_sale, with_stripe
from tests.support.fake_stripe import FakeStripe
from tests.support.processes import gone_within
from tests.support.rush import fetch, running_server

STRIPE_ANSWERS_AFTER = 3.0


async def stripe_was_asked(stripe: FakeStripe) -> None:
    deadline = time.monotonic() + 20
    while not stripe.requests_to("POST", "/v1/checkout/sessions"):
        assert time.monotonic() < deadline, "the checkout never reached Stripe"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_a_request_in_flight_when_the_server_is_stopped_completes(
    database_url: str, tmp_path: Path, report
) -> None:
    env, on_sale = await demo_on_sale(database_url, tmp_path, 10)
    with FakeStripe() as stripe:
        env = with_stripe(env, stripe)
        with running_server(env, tmp_path, workers=2) as server:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
                buyer = Buyer(client, "patient@drill.example", on_sale)
                assert (await buyer.hold()).status_code == 303
                stripe.answer_delay = STRIPE_ANSWERS_AFTER
                checkout = asyncio.create_task(buyer.check_out())
                await stripe_was_asked(stripe)
                stopped_at = time.monotonic()
                os.kill(server.pid, signal.SIGTERM)
                answer = await checkout
            answered_after = time.monotonic() - stopped_at
            assert await asyncio.to_thread(gone_within, server.pid, 20)
            exited_after = time.monotonic() - stopped_at

    assert answer.status_code == 303 and "/pay/" in answer.headers["location"], answer.text
    [(session,)] = await fetch(database_url, 'SELECT stripe_session FROM "order"')
    assert session == buyer.session_ids[-1]
    assert "Finished server process" in server.log.read_text()
    report(
        f"SIGTERM while a checkout waited {STRIPE_ANSWERS_AFTER:.0f} s on Stripe: it was answered"
        f" {answer.status_code} to Stripe's page {answered_after:.1f} s later, the order kept its session,"
        f" and the server exited {exited_after:.1f} s after the signal"
    )

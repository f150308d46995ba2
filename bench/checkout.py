"""A full online checkout, timed step by step, and the memory each worker holds afterwards.

    .venv/bin/python bench/checkout.py --buyers 50 --workers 2

Each buyer, one after another, opens a performance, holds two tickets, opens the checkout, submits it
(which opens a Stripe Checkout Session on a local stand-in for Stripe), and then Stripe's signed
`checkout.session.completed` webhook arrives and fulfils the order (tickets, contact, consent, e-mail).
Prints the median and 95th percentile of each step and of the whole, then each worker's resident memory.
Everything runs on loopback with a SQLite database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests

from tests.support.fake_stripe import FakeStripe
from tests.support.processes import ProcessTable, resident_kib
from tests.support.rush import (
    SHARED_TLS_CONTEXT,
    boxoffice,
    database_version,
    machine_description,
    percentile,
    put_on_sale,
    running_server,
    server_environment,
    sqlite_database_url,
)

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
STEPS = ("performance page", "hold", "checkout page", "place order", "webhook fulfils", "whole checkout")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buyers", type=int, default=50, help="checkouts to time, one after another")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of `boxoffice serve`")
    return parser.parse_args()


async def one_checkout(base_url: str, stripe: FakeStripe, performance_id: int, ticket_type_id: int) -> dict:
    timings: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base_url, verify=SHARED_TLS_CONTEXT, timeout=30) as client:

        async def timed(step: str, request):  # a coroutine of one request
            started = time.perf_counter()
            response = await request
            timings[step] = (time.perf_counter() - started) * 1000
            return response

        page = await timed("performance page", client.get(f"/performances/{performance_id}"))
        token = CSRF_FIELD.search(page.text).group(1)
        held = await timed(
            "hold",
            client.post(
                f"/performances/{performance_id}/hold",
                data={f"quantity_{ticket_type_id}": "2", "_csrf_token": token},
            ),
        )
        assert held.status_code == 303, held.status_code
        await timed("checkout page", client.get("/checkout"))
        placed = await timed(
            "place order",
            client.post(
                "/checkout",
                data={
                    "first_name": "Bench",
                    "last_name": "Buyer",
                    "email": "bench@example.org",
                    "accept_terms": "yes",
                    "marketing": "yes",
                    "_csrf_token": token,
                },
            ),
        )
        assert placed.status_code == 303 and "/pay/" in placed.headers["location"], placed.status_code
        session_id = placed.headers["location"].rsplit("/", 1)[1]
        payload, signature = stripe.webhook_event(
            "checkout.session.completed", stripe.complete_session(session_id)
        )
        fulfilled = await timed(
            "webhook fulfils",
            client.post("/webhooks/stripe", content=payload, headers={"stripe-signature": signature}),
        )
        assert fulfilled.status_code == 200, fulfilled.status_code
    timings["whole checkout"] = sum(timings.values())
    return timings


async def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as folder, FakeStripe() as stripe:
        workdir = Path(folder)
        env = {
            **server_environment(sqlite_database_url(workdir / "bench.sqlite3")),
            "BOXOFFICE_STRIPE_SECRET_KEY": stripe.secret_key,
            "BOXOFFICE_STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
            "BOXOFFICE_STRIPE_API_BASE": stripe.url,
        }
        boxoffice(env, workdir, "demo")
        on_sale = await put_on_sale(env["BOXOFFICE_DATABASE_URL"], seats=options.buyers * 2)
        print(machine_description(await database_version(env["BOXOFFICE_DATABASE_URL"])))
        with running_server(env, workdir, options.workers) as server:
            await one_checkout(
                server.base_url, stripe, on_sale.performance_id, on_sale.ticket_type_id
            )  # warm-up
            results = [
                await one_checkout(server.base_url, stripe, on_sale.performance_id, on_sale.ticket_type_id)
                for _ in range(options.buyers - 1)
            ]
            table = ProcessTable.now()
            memory = [resident_kib(pid) for pid in table.web_workers(int(server.base_url.rsplit(":", 1)[1]))]
    print(f"checkout: {len(results)} buyers one after another, SQLite, {options.workers} worker(s)")
    for step in STEPS:
        values = [result[step] for result in results]
        print(f"  {step:17} p50 {percentile(values, 0.5):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms")
    print("memory per worker: " + ", ".join(f"{kib / 1024:.0f} MiB" for kib in sorted(memory)))


if __name__ == "__main__":
    asyncio.run(main())

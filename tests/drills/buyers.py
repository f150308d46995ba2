"""What the drills share: the demo venue with one performance on sale, the server's settings for the fake
Stripe, a buyer's browser against a running server, and what the database says of the seats."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.fake_stripe import FakeStripe
from tests.support.rush import CSRF_FIELD, OnSale, boxoffice, fetch, put_on_sale, server_environment


async def demo_on_sale(database_url: str, workdir: Path, seats: int) -> tuple[dict[str, str], OnSale]:
    """The server's settings, for the demo venue set up in `database_url` with `seats` seats on sale."""
    env = server_environment(database_url)
    boxoffice(env, workdir, "demo")
    return env, await put_on_sale(database_url, seats)


def with_stripe(env: dict[str, str], stripe: FakeStripe) -> dict[str, str]:
    return env | {
        "BOXOFFICE_STRIPE_SECRET_KEY": stripe.secret_key,
        "BOXOFFICE_STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
        "BOXOFFICE_STRIPE_API_BASE": stripe.url,
    }


@dataclass
class Buyer:
    """One buyer's browser: its own cookies, against the server."""

    client: httpx.AsyncClient
    email: str
    on_sale: OnSale
    session_ids: list[str] = field(default_factory=list)
    tickets: int = 2

    async def hold(self) -> httpx.Response:
        page = await self.client.get(f"/performances/{self.on_sale.performance_id}")
        token = CSRF_FIELD.search(page.text)
        assert token, page.text
        return await self.client.post(
            f"/performances/{self.on_sale.performance_id}/hold",
            data={"_csrf_token": token[1], f"quantity_{self.on_sale.ticket_type_id}": str(self.tickets)},
        )

    async def check_out(self) -> httpx.Response:
        await self.client.get("/checkout")
        form = {
            "first_name": "Ada",
            "last_name": "Drill",
            "email": self.email,
            "accept_terms": "yes",
            "_csrf_token": self.client.cookies["boxoffice_csrf"],
        }
        answer = await self.client.post("/checkout", data=form)
        if answer.status_code == 303 and "/pay/" in answer.headers["location"]:
            self.session_ids.append(answer.headers["location"].rsplit("/pay/", 1)[1])
        return answer

    async def buy_until_sent_to_stripe(self) -> None:
        """Hold and check out, starting again if the basket is gone."""
        if (await self.check_out()).status_code == 303:
            return
        assert (await self.hold()).status_code == 303
        answer = await self.check_out()
        assert answer.status_code == 303 and "/pay/" in answer.headers["location"], answer.text


async def seats_accounted_for(database_url: str, on_sale: OnSale) -> tuple[int, int]:
    """(seats free + held + on orders awaiting payment or paid, seats on valid tickets)."""
    [(available,)] = await fetch(
        database_url, "SELECT available FROM performance WHERE id = $1", on_sale.performance_id
    )
    [(held,)] = await fetch(
        database_url,
        "SELECT COALESCE(SUM(quantity), 0) FROM hold WHERE performance = $1",
        on_sale.performance_id,
    )
    [(ordered,)] = await fetch(
        database_url,
        'SELECT COALESCE(SUM(l.quantity), 0) FROM order_line l JOIN "order" o ON o.id = l."order"'
        " WHERE l.performance = $1 AND o.status IN ('pending_payment', 'paid')",
        on_sale.performance_id,
    )
    [(tickets,)] = await fetch(
        database_url,
        "SELECT COUNT(*) FROM ticket WHERE performance = $1 AND status = 'valid'",
        on_sale.performance_id,
    )
    return available + held + ordered, tickets

"""Paid box-office orders in the database of a `boxoffice serve` process, for tests and benchmarks that
download their tickets from it: sold through the sales services, as the sell screen does, by a process
of their own with the server's settings (its database, and its secret key, which the booking links are
signed with).

    sell_at_counter(env, orders=100, tickets=10)  # -> each order's booking link, "/booking/<ref>/<token>"

Run `boxoffice demo` on the database first: the orders are for its first performance of The Tempest,
cut down to one ticket type with just enough seats, and sold by its admin to Ada Lovelace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def sell_at_counter(env: dict[str, str], *, orders: int, tickets: int) -> list[str]:
    """Sell `orders` orders of `tickets` tickets each in the database `env` names; their booking links."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.box_office_sales", str(orders), str(tickets)],
        env={**env, "PYTHONPATH": str(REPOSITORY)},
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"selling at the counter failed:\n{done.stderr}")
    return json.loads(done.stdout)


async def sell(orders: int, tickets: int) -> list[str]:
    from boxoffice.auth.tables import StaffUser
    from boxoffice.config import get_settings
    from boxoffice.crm.contacts import ContactDetails, upsert_contact
    from boxoffice.db import close_database, open_database
    from boxoffice.sales.bookings import booking_path
    from boxoffice.sales.counter import CounterSale, MarketingAnswer, counter_basket_token, sell_basket
    from boxoffice.sales.counter_payments import CounterPayment
    from boxoffice.sales.holds import hold_tickets
    from boxoffice.sales.tables import PaymentMethod
    from tests.support.rush import put_on_sale

    settings = get_settings()
    on_sale = await put_on_sale(settings.database_url.url, seats=orders * tickets)
    await open_database(settings)
    try:
        now = datetime.now(UTC)
        staff_id = (await StaffUser.select(StaffUser.id).first())["id"]
        contact_id = await upsert_contact(ContactDetails("Ada", "Lovelace", "ada@example.org"), now)
        basket = counter_basket_token(staff_id, settings.secret_key.encode())
        links = []
        for _ in range(orders):
            await hold_tickets(
                basket,
                on_sale.performance_id,
                {on_sale.ticket_type_id: tickets},
                hold_minutes=30,
                max_per_order=tickets,
                now=now,
                counter=True,
            )
            sold = await sell_basket(
                basket,
                CounterSale(
                    contact_id=contact_id,
                    marketing=MarketingAnswer(),
                    payment=CounterPayment(PaymentMethod.CASH),
                    email_tickets=False,
                    sale_key=secrets.token_hex(16),
                ),
                staff_id=staff_id,
                may_comp=False,
                ip="127.0.0.1",
                now=now,
            )
            links.append(booking_path(sold.reference, settings.secret_key.encode()))
        return links
    finally:
        await close_database()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Sell paid box-office orders; print their booking links.")
    parser.add_argument("orders", type=int)
    parser.add_argument("tickets", type=int)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(sell(arguments.orders, arguments.tickets))))

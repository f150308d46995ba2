"""A busy venue's ten years of data, made in bulk for bench/scale.py.

The rows are made in Python, deterministically (the same seed gives the same venue), with their ids set,
so foreign keys need no reading back; SQLite takes them through `executemany` in one transaction, and
PostgreSQL through COPY. The shapes are the venue's, not a test's: most tickets were sold for
performances now past, one regular holds 500 orders, one contact in a hundred has a likely duplicate, and
every campaign went to 10,000 people.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Mary",
    "Ann",
    "John",
    "Priya",
    "Wei",
    "Olu",
    "Sofia",
    "Liam",
    "Noor",
    "Ivan",
    "Chloe",
    "Mateo",
    "Aisha",
    "Tom",
    "Ruth",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Smith",
    "Jones",
    "Patel",
    "Chen",
    "Okafor",
    "Rossi",
    "Murphy",
    "Khan",
    "Petrov",
    "Martin",
    "Garcia",
]
PRICES = (("Full price", 2500), ("Concession", 2000), ("Under 26", 1000))
CAPACITY = 300
REGULAR_ORDERS = 500  # the contact with the most orders: the record and erasure figures open them
LARGE_ORDER = REGULAR_ORDERS + 1  # ten tickets, for the PDF figure


@dataclass(frozen=True, slots=True)
class Size:
    events: int = 1000
    performances_per_event: int = 10
    contacts: int = 200_000
    orders: int = 400_000
    consent_per_contact: int = 10
    notes: int = 20_000
    campaigns: int = 100
    recipients_per_campaign: int = 10_000

    def scaled(self, fraction: float) -> Size:
        def part(count: int) -> int:
            return max(1, round(count * fraction))

        return Size(
            events=part(self.events),
            performances_per_event=self.performances_per_event,
            contacts=max(part(self.contacts), 2 * REGULAR_ORDERS),
            orders=max(part(self.orders), 2 * REGULAR_ORDERS),
            consent_per_contact=self.consent_per_contact,
            notes=part(self.notes),
            campaigns=part(self.campaigns),
            recipients_per_campaign=part(self.recipients_per_campaign),
        )


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: Iterable[tuple]


def code(number: int, length: int) -> str:
    """A unique code for `number` in the ticket alphabet, as long as the app's own."""
    digits = []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def venue_data(size: Size, now: datetime) -> Iterator[Table]:
    """Every table's rows, parents before children."""
    chance = random.Random(1)
    performances = size.events * size.performances_per_event
    past_events = size.events * 7 // 10  # the rest are on sale over the coming year
    yield Table(
        "venue",
        ("id", "name", "slug", "address", "locale", "timezone", "currency"),
        [(1, "The Playhouse", "the-playhouse", "1 High Street", "en_GB", "Europe/London", "GBP")],
    )
    yield Table(
        "event",
        ("id", "venue", "slug", "title", "description", "status"),
        (
            (event, 1, f"show-{event}", f"Show number {event}", "A play in two acts.", "on_sale")
            for event in range(1, size.events + 1)
        ),
    )

    def starts_at(performance: int) -> datetime:
        event, nth = divmod(performance - 1, size.performances_per_event)
        if event < past_events:
            first = now - timedelta(days=9 * 365) + timedelta(days=event * 9 * 365 // max(1, past_events))
        else:
            first = now + timedelta(days=1 + (event - past_events) * 365 // max(1, size.events - past_events))
        return first.replace(hour=19, minute=30, second=0, microsecond=0) + timedelta(days=nth)

    sold = [0] * (performances + 1)
    orders_of = [[] for _ in range(performances + 1)]
    past_performances = past_events * size.performances_per_event
    for order in range(1, size.orders + 1):
        performance = chance.randrange(1, performances + 1)
        if performance > past_performances and chance.random() < 0.8:  # most sales are long done
            performance = chance.randrange(1, max(2, past_performances + 1))
        orders_of[performance].append(order)
    yield Table(
        "performance",
        ("id", "event", "starts_at", "capacity", "available"),
        (
            (p, (p - 1) // size.performances_per_event + 1, starts_at(p), CAPACITY, CAPACITY)
            for p in range(1, performances + 1)
        ),
    )
    yield Table(
        "ticket_type",
        ("id", "performance", "name", "price", "currency", "position"),
        (
            (3 * (p - 1) + position + 1, p, name, price, "GBP", position)
            for p in range(1, performances + 1)
            for position, (name, price) in enumerate(PRICES)
        ),
    )
    yield Table("contact", CONTACT_COLUMNS, contacts(size, now, chance))
    order_rows, line_rows, ticket_rows, payment_rows = [], [], [], []
    ticket = 0
    for performance in range(1, performances + 1):
        when = starts_at(performance)
        for order in orders_of[performance]:
            quantity = min(10 if order == LARGE_ORDER else 1 + order % 4, CAPACITY - sold[performance])
            sold[performance] += quantity
            position = order % 3
            price = PRICES[position][1]
            contact = 1 if order <= REGULAR_ORDERS else chance.randrange(2, size.contacts + 1)
            placed = min(now, when) - timedelta(days=1 + order % 60, minutes=order % 1440)
            online = order % 3 != 0
            order_rows.append(
                (
                    order,
                    code(order, 8),
                    "online" if online else "box_office",
                    "paid",
                    contact,
                    *buyer(contact),
                    "GBP",
                    price * quantity,
                    placed,
                    placed,
                )
            )
            line_rows.append(
                (
                    order,
                    order,
                    performance,
                    3 * (performance - 1) + position + 1,
                    PRICES[position][0],
                    quantity,
                    price,
                    price,
                )
            )
            for _ in range(quantity):
                ticket += 1
                ticket_rows.append((ticket, order, order, performance, code(ticket, 16), "valid", placed))
            payment_rows.append(
                (order, order, "stripe" if online else "cash", price * quantity, "GBP", "", placed, 0, "")
            )
    yield Table(
        "order",
        (
            "id",
            "reference",
            "channel",
            "status",
            "contact",
            "first_name",
            "last_name",
            "email",
            "phone",
            "postcode",
            "currency",
            "total",
            "created_at",
            "paid_at",
        ),
        order_rows,
    )
    yield Table(
        "order_line",
        ("id", "order", "performance", "ticket_type", "description", "quantity", "unit_price", "face_value"),
        line_rows,
    )
    yield Table(
        "ticket", ("id", "order", "order_line", "performance", "code", "status", "issued_at"), ticket_rows
    )
    yield Table(
        "payment",
        (
            "id",
            "order",
            "method",
            "amount",
            "currency",
            "provider_reference",
            "created_at",
            "refunded",
            "reason",
        ),
        payment_rows,
    )
    yield Table(
        "performance_sold",  # not a table: bench/scale.py sets `available` from it
        ("id", "sold"),
        ((p, sold[p]) for p in range(1, performances + 1)),
    )
    yield Table(
        "consent_record",
        ("contact", "channel", "granted", "source", "wording", "note", "recorded_at", "ip"),
        (
            (
                contact,
                "email",
                nth % 2 == 0,
                "online_checkout",
                "Yes, please e-mail me about our shows.",
                "",
                now - timedelta(days=(contact + nth * 97) % 3650),
                "",
            )
            for contact in range(1, size.contacts + 1)
            for nth in range(size.consent_per_contact)
        ),
    )
    yield Table(
        "contact_note",
        ("contact", "text", "created_at"),
        (
            (
                chance.randrange(1, size.contacts + 1),
                "Asked about step-free access.",
                now - timedelta(days=n % 3650),
            )
            for n in range(size.notes)
        ),
    )
    yield from campaigns(size, now)


CONTACT_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "restricted",
    "created_at",
    "updated_at",
)


def buyer(contact: int) -> tuple[str, str, str, str, str]:
    """A contact's details: every hundredth shares a name and postcode with the one before (a likely
    duplicate under its own e-mail address)."""
    twin = contact - 1 if contact % 100 == 0 else contact
    first, last = FIRST_NAMES[twin % len(FIRST_NAMES)], LAST_NAMES[(twin // 7) % len(LAST_NAMES)]
    postcode = f"{code(twin % 900, 2)}{twin % 9 + 1} {twin % 10}{code(twin, 2)}"
    return first, f"{last}{twin}", f"person{contact}@example.org", f"0161 496 {contact % 10000:04d}", postcode


def contacts(size: Size, now: datetime, chance: random.Random) -> Iterator[tuple]:
    for contact in range(1, size.contacts + 1):
        created = now - timedelta(days=chance.randrange(3650))
        yield (contact, *buyer(contact), False, created, created)


def campaigns(size: Size, now: datetime) -> Iterator[Table]:
    yield Table(
        "campaign",
        ("id", "subject", "body_markdown", "status", "created_at", "updated_at", "finished_at"),
        (
            (campaign, f"Season news {campaign}", "Our new season is on sale.", "sent", sent, sent, sent)
            for campaign in range(1, size.campaigns + 1)
            for sent in [now - timedelta(days=campaign * 30)]
        ),
    )
    sends = [
        (campaign, 1 + (campaign * 7919 + nth) % size.contacts, now - timedelta(days=campaign * 30))
        for campaign in range(1, size.campaigns + 1)
        for nth in range(min(size.recipients_per_campaign, size.contacts))
    ]
    yield Table(
        "outbox_message",
        (
            "id",
            "recipient",
            "subject",
            "text_body",
            "headers",
            "kind",
            "status",
            "attempts",
            "at_most_once",
            "next_attempt_at",
            "last_error",
            "created_at",
            "sent_at",
        ),
        (
            (
                message,
                f"person{contact}@example.org",
                f"Season news {campaign}",
                "Our new season is on sale.",
                "{}",
                "campaign",
                "sent",
                1,
                True,
                sent,
                "",
                sent,
                sent,
            )
            for message, (campaign, contact, sent) in enumerate(sends, start=1)
        ),
    )
    yield Table(
        "campaign_recipient",
        ("campaign", "contact", "status", "message", "released_at"),
        (
            (campaign, contact, "queued", message, sent)
            for message, (campaign, contact, sent) in enumerate(sends, start=1)
        ),
    )


def stored_sqlite(value: object) -> object:
    """A value as Piccolo stores it on SQLite: datetimes as text in UTC."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    return value


def load_sqlite(path: str, tables: Iterable[Table]) -> dict[str, int]:
    counts = {}
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        for table in tables:
            if table.name == "performance_sold":
                connection.executemany(
                    "UPDATE performance SET available = capacity - ? WHERE id = ?",
                    ((sold, performance) for performance, sold in table.rows),
                )
                continue
            columns = ", ".join(f'"{column}"' for column in table.columns)
            marks = ", ".join("?" for _ in table.columns)
            inserted = connection.executemany(
                f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})',
                (tuple(stored_sqlite(value) for value in row) for row in table.rows),
            )
            counts[table.name] = inserted.rowcount
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return counts


async def load_postgres(url: str, tables: Iterable[Table]) -> dict[str, int]:
    counts = {}
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            for table in tables:
                if table.name == "performance_sold":
                    await connection.executemany(
                        "UPDATE performance SET available = capacity - $1 WHERE id = $2",
                        [(sold, performance) for performance, sold in table.rows],
                    )
                    continue
                rows = list(table.rows)
                await connection.copy_records_to_table(table.name, records=rows, columns=list(table.columns))
                counts[table.name] = len(rows)
                if "id" in table.columns:
                    await connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), {len(rows)})"
                    )
        # As autovacuum would soon after such a load: statistics, and the visibility map without which
        # no index-only scan (the duplicates' keys, the consent report's months) can skip the table.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return counts

"""`boxoffice demo`: a venue with events to try the box office on.

Seeding is idempotent: once the demo venue exists nothing more is added, so running it again (as
`make run` does every time) never leaves a second copy.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from boxoffice.auth.accounts import create_staff
from boxoffice.auth.roles import admin_role_id
from boxoffice.auth.tables import StaffUser
from boxoffice.config import Settings
from boxoffice.db import write_transaction
from boxoffice.sales.tables import Event, EventStatus, Performance, TicketType, Venue
from boxoffice.venue.settings import name_the_house

DEMO_VENUE_SLUG = "riverside"
DEMO_ADMIN_EMAIL = "admin@riverside.example"
DEMO_ADMIN_LOGIN_FILE = "demo-admin-password.txt"

# (slug, title, description, days from today of each performance, local start time, capacity,
#  ticket types as (name, price in pence))
DEMO_EVENTS = [
    (
        "the-tempest",
        "The Tempest",
        "Shakespeare's last play, staged in the round by the Riverside Company.",
        [3, 4, 5, 10, 11],
        time(19, 30),
        220,
        [("Adult", 2400), ("Concession", 1800), ("Under 26", 1000)],
    ),
    (
        "winter-jazz-nights",
        "Winter Jazz Nights",
        "Three evenings of live jazz in the studio bar, with the Harbour Trio.",
        [7, 14, 21],
        time(20, 0),
        80,
        [("Standard", 1500), ("Member", 1200)],
    ),
    (
        "the-snow-queen",
        "The Snow Queen",
        "A family adventure for ages five and up, with songs, puppets and a great deal of snow.",
        [12, 13, 13, 19, 20],
        time(14, 0),
        300,
        [("Adult", 1800), ("Child", 1200), ("Family of four", 5200)],
    ),
    (
        "open-mic-comedy",
        "Open Mic Comedy",
        "New stand-up every month. Strong language throughout.",
        [9, 37],
        time(20, 30),
        60,
        [("Standard", 800)],
    ),
]


async def seed_demo(today: datetime | None = None) -> bool:
    """Add the demo venue and its events; returns False when they were already there."""
    if await Venue.exists().where(Venue.slug == DEMO_VENUE_SLUG):
        return False
    venue_zone = ZoneInfo("Europe/London")
    today = (today or datetime.now(UTC)).astimezone(venue_zone).date()
    async with write_transaction():
        venue = Venue(
            name="Riverside Arts Centre",
            slug=DEMO_VENUE_SLUG,
            address="1 Quay Street, Bristol BS1 4DJ",
            locale="en_GB",
            timezone="Europe/London",
            currency="GBP",
        )
        await venue.save()
        await name_the_house(venue.name, now=datetime.now(UTC))
        for slug, title, description, days, start, capacity, prices in DEMO_EVENTS:
            event = Event(
                venue=venue.id, slug=slug, title=title, description=description, status=EventStatus.ON_SALE
            )
            await event.save()
            matinee_taken: set[int] = set()
            for day in days:
                # A second performance on the same day is the matinee, three hours earlier.
                hour_shift = 3 if day in matinee_taken else 0
                matinee_taken.add(day)
                local_start = datetime.combine(today + timedelta(days=day), start, venue_zone)
                performance = Performance(
                    event=event.id,
                    starts_at=(local_start - timedelta(hours=hour_shift)).astimezone(UTC),
                    capacity=capacity,
                    available=capacity,
                )
                await performance.save()
                await TicketType.insert(
                    *[
                        TicketType(
                            performance=performance.id,
                            name=name,
                            price=price,
                            currency="GBP",
                            position=position,
                        )
                        for position, (name, price) in enumerate(prices)
                    ]
                )
    return True


def demo_login_file(settings: Settings) -> Path:
    folder = (
        settings.database_url.sqlite_path.parent if settings.database_url.engine == "sqlite" else Path("var")
    )
    return folder / DEMO_ADMIN_LOGIN_FILE


async def seed_demo_admin(settings: Settings) -> tuple[str, str]:
    """An admin account to try the back office with, and its password.

    The password is random, made once, and kept in a file readable only by its owner beside the
    database, so that `make run` can show it every time without it ever being a well-known default."""
    login_file = demo_login_file(settings)
    if await StaffUser.exists().where(StaffUser.email == DEMO_ADMIN_EMAIL):
        password = (
            login_file.read_text().strip() if login_file.exists() else "(the one shown when it was made)"
        )
        return DEMO_ADMIN_EMAIL, password
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    await create_staff(
        email=DEMO_ADMIN_EMAIL,
        name="Demo Admin",
        password=password,
        role_id=await admin_role_id(),
        actor_id=None,
        ip="demo",
    )
    login_file.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(login_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(password)
    return DEMO_ADMIN_EMAIL, password

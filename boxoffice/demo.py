"""`boxoffice demo`: a venue with events to try the box office on.

Seeding is idempotent: once the demo venue exists nothing more is added, so running it again (as
`make run` does every time) never leaves a second copy.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from boxoffice.auth.accounts import create_staff
from boxoffice.auth.roles import admin_role_id
from boxoffice.auth.tables import StaffUser
from boxoffice.config import Settings
from boxoffice.db import write_transaction
from boxoffice.documents.pictures import PreparedPicture, prepare_picture
from boxoffice.sales import pictures
from boxoffice.sales.seating.kills import kill_seats
from boxoffice.sales.seating.numbering import Direction, RowShape, SectionLayout, lay_out_section
from boxoffice.sales.seating.performances import seat_performance
from boxoffice.sales.tables import (
    Event,
    EventStatus,
    Performance,
    PerformanceSeat,
    PlanSeat,
    SeatingPlan,
    TicketType,
    Venue,
    ZonePrice,
)
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
    """Add the demo venue and its events, and its studio theatre with a seated event; returns False
    when they were all already there."""
    venue_zone = ZoneInfo("Europe/London")
    today_there = (today or datetime.now(UTC)).astimezone(venue_zone).date()
    added = await seed_general_admission(today_there, venue_zone)
    return await seed_studio(today_there, venue_zone) or added


# (colour of the sky, colour of the stage) of each demo event's picture, in DEMO_EVENTS' order
DEMO_PICTURE_COLOURS = [
    ((32, 48, 96), (150, 60, 40)),
    ((20, 20, 40), (200, 150, 30)),
    ((170, 200, 230), (250, 250, 255)),
    ((60, 20, 60), (220, 60, 90)),
]


def demo_picture(
    sky: tuple[int, int, int], stage: tuple[int, int, int], size: tuple[int, int]
) -> PreparedPicture:
    """A simple drawn picture (a stage under a spotlight), made here rather than shipped as a file: it
    shows how pictures look on the storefront without adding megabytes of photographs to the project."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(width * 0.45, 0), (width * 0.55, 0), (width * 0.8, height), (width * 0.2, height)], fill=stage
    )
    draw.rectangle([0, height * 0.75, width, height], fill=tuple(channel // 2 for channel in stage))
    output = io.BytesIO()
    image.save(output, "PNG")
    return prepare_picture(output.getvalue(), "demo.png", field="picture")


async def seed_general_admission(today: date, venue_zone: ZoneInfo) -> bool:
    if await Venue.exists().where(Venue.slug == DEMO_VENUE_SLUG):
        return False
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
        await pictures.set_logo(
            demo_picture((255, 255, 255), (200, 60, 40), (240, 80)), venue.name, actor_id=None, ip=""
        )
        for (slug, title, description, days, start, capacity, prices), colours in zip(
            DEMO_EVENTS, DEMO_PICTURE_COLOURS, strict=True
        ):
            event = Event(
                venue=venue.id, slug=slug, title=title, description=description, status=EventStatus.ON_SALE
            )
            await event.save()
            await pictures.set_event_picture(
                event.id,
                demo_picture(*colours, (1280, 720)),
                f"A stage under a spotlight, for {title}",
                actor_id=None,
                ip="",
            )
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


STUDIO_PLAN = "Studio theatre"
# (name, price in pence in zone A, in zone B) of the seated event's ticket types
STUDIO_PRICES = [("Adult", 3200, 2400), ("Concession", 2800, 2000)]
STUDIO_DAYS = [6, 8, 15]


def studio_seats(plan_id: int) -> list[PlanSeat]:
    """About 300 seats: curved stalls of 12 rows in three blocks with two aisles, wheelchair spaces with
    companion seats at the ends of the front row, and a staggered circle whose end seats have a
    restricted view. Zone A is the front of the stalls, zone B the rest."""
    stalls = lay_out_section(
        SectionLayout("Stalls", rows=12, seats_per_row=20, aisles_after=(5, 15), shape=RowShape.CURVED)
    )
    circle = lay_out_section(
        SectionLayout(
            "Circle",
            rows=4,
            seats_per_row=16,
            direction=Direction.RIGHT_TO_LEFT,
            aisles_after=(8,),
            shape=RowShape.STAGGERED,
            top=max(seat.y for seat in stalls) + 40,
            left=20,
        )
    )
    seats = []
    for seat in stalls:
        number = int(seat.label)
        marks = []
        if seat.row == "A" and number in (1, 20):
            marks.append("wheelchair")
        if seat.row == "A" and number in (2, 19):
            marks.append("companion")
        if number in (5, 6, 15, 16):
            marks.append("aisle")
        zone = "A" if seat.row in "ABCDEF" else "B"
        seats.append(PlanSeat(plan=plan_id, **asdict(seat), zone=zone, attributes=" ".join(marks)))
    for seat in circle:
        restricted = int(seat.label) in (1, 16)
        marks = "restricted_view" if restricted else ""
        seats.append(PlanSeat(plan=plan_id, **asdict(seat), zone="B", attributes=marks))
    return seats


async def seed_studio(today: date, venue_zone: ZoneInfo) -> bool:
    """The demo venue's studio theatre plan and one seated event on sale, with zone prices and the
    house seats killed; once."""
    venue = await Venue.select(Venue.id).where(Venue.slug == DEMO_VENUE_SLUG).first()
    if venue is None or await SeatingPlan.exists().where(
        (SeatingPlan.venue == venue["id"]) & (SeatingPlan.name == STUDIO_PLAN)
    ):
        return False
    async with write_transaction():
        plan = SeatingPlan(venue=venue["id"], name=STUDIO_PLAN)
        await plan.save()
        await PlanSeat.insert(*studio_seats(plan.id))
        event = Event(
            venue=venue["id"],
            slug="much-ado-about-nothing",
            title="Much Ado About Nothing",
            description="Shakespeare's sparring lovers in the studio theatre, where every seat is numbered.",
            status=EventStatus.ON_SALE,
        )
        await event.save()
        for day in STUDIO_DAYS:
            starts = datetime.combine(today + timedelta(days=day), time(19, 30), venue_zone).astimezone(UTC)
            performance = Performance(event=event.id, starts_at=starts, capacity=0, available=0)
            await performance.save()
            await seat_performance(performance.id, plan.id)
            for position, (name, zone_a, zone_b) in enumerate(STUDIO_PRICES):
                ticket_type = TicketType(
                    performance=performance.id, name=name, price=zone_b, currency="GBP", position=position
                )
                await ticket_type.save()
                await ZonePrice.insert(
                    ZonePrice(ticket_type=ticket_type.id, zone="A", price=zone_a),
                    ZonePrice(ticket_type=ticket_type.id, zone="B", price=zone_b),
                )
            house = await PerformanceSeat.select(PerformanceSeat.id).where(
                (PerformanceSeat.performance == performance.id)
                & (PerformanceSeat.section == "Stalls")
                & (PerformanceSeat.row == "H")
                & PerformanceSeat.label.is_in(["10", "11"])
            )
            await kill_seats(
                performance.id, [row["id"] for row in house], "House seats", actor_id=None, ip="demo"
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

"""Venues as staff set them up: name, web address, address, and the locale, time zone and currency that
the venue's events are shown, timed and priced in. The locale, zone and currency are read here, as they
exist only on a venue; a venue's currency is fixed once it has priced tickets, and a new time zone keeps
each performance's moment and shows it on the new zone's clocks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.numbers import is_currency

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.sales.catalogue_forms import (
    MAX_NAME_LENGTH,
    CatalogChangeRefused,
    changed_fields,
    free_text,
    required_line,
    settle_slug,
    slug_kept_unique,
)
from boxoffice.sales.tables import TicketType, Venue

MAX_ADDRESS_LENGTH = 500


@dataclass
class VenueInput:
    name: str = ""
    slug: str = ""
    address: str = ""
    locale: str = "en_GB"
    timezone: str = "Europe/London"
    currency: str = "GBP"


@dataclass(frozen=True, slots=True)
class VenueRecord:
    id: int
    name: str
    slug: str
    address: str
    locale: str
    timezone: str
    currency: str

    def as_input(self) -> VenueInput:
        return VenueInput(self.name, self.slug, self.address, self.locale, self.timezone, self.currency)


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_locale(text: str) -> str:
    value = text.strip().replace("-", "_")
    try:
        return str(Locale.parse(value))
    except (ValueError, TypeError, UnknownLocaleError) as unknown:
        raise CatalogChangeRefused(
            "Enter a locale that exists, such as en_GB or de_DE.", "locale"
        ) from unknown


def parse_timezone(text: str) -> str:
    value = text.strip()
    if value not in known_timezones():
        raise CatalogChangeRefused(
            "Enter a time zone by its IANA name, such as Europe/London or America/New_York.", "timezone"
        )
    return value


def parse_currency(text: str) -> str:
    value = text.strip().upper()
    if not (len(value) == 3 and value.isascii() and value.isalpha() and is_currency(value)):
        raise CatalogChangeRefused(
            "Enter a currency by its ISO 4217 code, such as GBP, EUR or USD.", "currency"
        )
    return value


@dataclass(frozen=True, slots=True)
class VenueFields:
    name: str
    address: str
    locale: str
    timezone: str
    currency: str


def validated_venue(data: VenueInput) -> VenueFields:
    return VenueFields(
        name=required_line(
            data.name, limit=MAX_NAME_LENGTH, field="name", missing="Enter the venue’s name.", label="name"
        ),
        address=free_text(data.address, limit=MAX_ADDRESS_LENGTH, field="address", label="address"),
        locale=parse_locale(data.locale),
        timezone=parse_timezone(data.timezone),
        currency=parse_currency(data.currency),
    )


def venue_record(row: dict[str, Any]) -> VenueRecord:
    return VenueRecord(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        address=row["address"],
        locale=row["locale"],
        timezone=row["timezone"],
        currency=row["currency"],
    )


async def list_venues() -> list[VenueRecord]:
    return [venue_record(row) for row in await Venue.select().order_by(Venue.name)]


async def get_venue(venue_id: int) -> VenueRecord | None:
    row = await Venue.select().where(Venue.id == venue_id).first()
    return venue_record(row) if row else None


async def create_venue(data: VenueInput, *, actor_id: int | None, ip: str) -> int:
    fields = validated_venue(data)
    async with slug_kept_unique(), write_transaction():
        slug = await settle_slug(Venue, data.slug, fields.name, "venue", None)
        [row] = await Venue.insert(
            Venue(
                name=fields.name,
                slug=slug,
                address=fields.address,
                locale=fields.locale,
                timezone=fields.timezone,
                currency=fields.currency,
            )
        ).returning(Venue.id)
        await audit.record(
            "venue.created",
            actor_id=actor_id,
            ip=ip,
            object_type="venue",
            object_id=row["id"],
            detail={"slug": slug, "currency": fields.currency, "timezone": fields.timezone},
        )
    return row["id"]


async def update_venue(venue_id: int, data: VenueInput, *, actor_id: int | None, ip: str) -> None:
    """Edit a venue. Its currency is fixed once it has priced tickets: their prices are in it. A new time
    zone keeps each performance's moment and shows it on the new zone's clocks."""
    fields = validated_venue(data)
    async with slug_kept_unique(), write_transaction():
        current = await get_venue(venue_id)
        if current is None:
            raise LookupError(venue_id)
        slug = await settle_slug(Venue, data.slug, fields.name, "venue", venue_id)
        if fields.currency != current.currency and await TicketType.exists().where(
            TicketType.performance.event.venue == venue_id
        ):
            raise CatalogChangeRefused(
                f"This venue has tickets priced in {current.currency}, so its currency cannot change.",
                "currency",
            )
        after = {
            "name": fields.name,
            "slug": slug,
            "address": fields.address,
            "locale": fields.locale,
            "timezone": fields.timezone,
            "currency": fields.currency,
        }
        changed = changed_fields(
            {key: getattr(current, key) for key in after},
            after,
        )
        if not changed:
            return
        await Venue.update({getattr(Venue, key): value for key, value in after.items()}).where(
            Venue.id == venue_id
        )
        await audit.record(
            "venue.updated",
            actor_id=actor_id,
            ip=ip,
            object_type="venue",
            object_id=venue_id,
            detail={"changed": changed},
        )

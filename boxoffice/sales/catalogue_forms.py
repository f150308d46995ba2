"""What every catalogue form shares: the refusal its services raise, and the readers of what staff type
on more than one of its pages (names, free text, whole numbers, web addresses kept unique). Venues,
events, performances and ticket types each have a module of their own, whose `…Input` class (plain
strings) is its routes' form body and whose other fields are read there; what they share is read here,
once, so that the same input is refused in the same words everywhere. A refusal's message is for the
person who typed it, and nothing is changed then; every change that is made is audited, with identifiers
and staff-side names only, never customer data.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from boxoffice.errors import Refused
from boxoffice.sales.tables import Event, Venue

SLUG_PATTERN = re.compile(r"[a-z0-9-]+")
MAX_SLUG_LENGTH = 80
SLUG_SUFFIX_ROOM = 6  # "-99999": room left for telling apart generated slugs
MAX_NAME_LENGTH = 200
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,9}")
SLUG_TAKEN_NOW = "Someone else has just used this web address; choose another."


class CatalogChangeRefused(Refused):
    """A change to the catalogue that cannot be made as typed."""


def tidy(text: str) -> str:
    """One line of text with its runs of white space made single spaces."""
    return " ".join(text.split())


def required_line(text: str, *, limit: int, field: str, missing: str, label: str) -> str:
    value = tidy(text)
    if not value:
        raise CatalogChangeRefused(missing, field)
    if len(value) > limit:
        raise CatalogChangeRefused(f"Use at most {limit} characters for the {label}.", field)
    return value


def free_text(text: str, *, limit: int, field: str, label: str) -> str:
    value = text.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise CatalogChangeRefused(f"Use at most {limit:,} characters for the {label}.", field)
    return value


def slug_from(text: str) -> str:
    """A web address part made from a title: 'Twelfth Night — Matinée!' becomes 'twelfth-night-matinee'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[: MAX_SLUG_LENGTH - SLUG_SUFFIX_ROOM].rstrip("-")


def typed_slug(text: str) -> str:
    slug = text.strip()
    if not SLUG_PATTERN.fullmatch(slug):
        raise CatalogChangeRefused(
            "Use only lower-case letters a–z, digits and hyphens for the web address, such as the-tempest.",
            "slug",
        )
    if len(slug) > MAX_SLUG_LENGTH:
        raise CatalogChangeRefused(f"Use at most {MAX_SLUG_LENGTH} characters for the web address.", "slug")
    return slug


def parse_whole_number(text: str, *, field: str, label: str, low: int, high: int) -> int:
    value = text.strip()
    if not WHOLE_NUMBER.fullmatch(value):
        raise CatalogChangeRefused(f"Enter the {label} as a whole number, such as 250.", field)
    number = int(value)
    if not low <= number <= high:
        raise CatalogChangeRefused(f"The {label} must be between {low:,} and {high:,}.", field)
    return number


def counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def are(count: int) -> str:
    return "is" if count == 1 else "are"


@asynccontextmanager
async def slug_kept_unique() -> AsyncIterator[None]:
    """Turn the unique index's refusal (two people saving the same address at once) into a message."""
    try:
        yield
    except sqlite3.IntegrityError as clash:
        if "UNIQUE" not in str(clash):
            raise
        raise CatalogChangeRefused(SLUG_TAKEN_NOW, "slug") from clash
    except UniqueViolationError as clash:
        raise CatalogChangeRefused(SLUG_TAKEN_NOW, "slug") from clash


async def settle_slug(
    table: type[Venue] | type[Event], typed: str, source: str, kind: str, own_id: int | None
) -> str:
    """The typed slug if it is free, or else one made from `source` and not yet taken."""
    if typed.strip():
        slug = typed_slug(typed)
        taken = table.exists().where(table.slug == slug)
        if own_id is not None:
            taken = taken.where(table.id != own_id)
        if await taken:
            raise CatalogChangeRefused(f"Another {kind} already uses the web address “{slug}”.", "slug")
        return slug
    base = slug_from(source) or kind
    similar = table.select(table.slug).where(table.slug.like(f"{base}%"))
    if own_id is not None:
        similar = similar.where(table.id != own_id)
    used = {row["slug"] for row in await similar}
    if base not in used:
        return base
    return next(f"{base}-{number}" for number in range(2, len(used) + 3) if f"{base}-{number}" not in used)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(key for key, value in after.items() if before.get(key) != value)

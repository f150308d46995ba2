"""The pictures the storefront shows: an event's (set in Events) and the venue's logo (set in Settings >
Storefront), each with the text that stands for it for people who cannot see it, which staff write.

Pictures arrive here already re-encoded (`documents.pictures`); they are kept in the database, like the
kept ticket PDFs, so every web worker on every machine serves the same ones and backups hold them. The
storefront serves them at `PICTURES_PATH/<digest>/<width>`: a new picture has a new digest, so browsers may
keep each address for a year. A picture nothing shows any more is deleted when it is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.documents.pictures import PictureRefused, PreparedPicture
from boxoffice.sales.tables import Event, Picture, PictureRendition
from boxoffice.venue.settings import KEY_PREFIX, store_site_setting
from boxoffice.venue.tables import SiteSetting

PICTURES_PATH = "/assets/pictures"  # where the storefront serves them (`storefront.pictures`)
MAX_ALT_LENGTH = 300
LOGO_KEY, LOGO_ALT_KEY = KEY_PREFIX + "logo", KEY_PREFIX + "logo_alt"
HOUSE_NAME_KEY = KEY_PREFIX + "house_name"  # `venue.settings.house_name`


@dataclass(frozen=True, slots=True)
class PictureRef:
    """A picture as a page shows it: its renditions' addresses and the text that stands for it."""

    digest: str
    widths: tuple[int, ...]
    width: int
    height: int
    alt: str

    def src(self, width: int) -> str:
        return f"{PICTURES_PATH}/{self.digest}/{width}"

    @property
    def srcset(self) -> str:
        return ", ".join(f"{self.src(width)} {width}w" for width in self.widths)

    @property
    def fallback(self) -> str:
        """The rendition for browsers that ignore `srcset`: the middle one."""
        return self.src(self.widths[len(self.widths) // 2])


@dataclass(frozen=True, slots=True)
class House:
    """The venue as the storefront's header shows it."""

    name: str
    logo: PictureRef | None


def picture_ref(row: dict, alt: str) -> PictureRef:
    return PictureRef(
        digest=row["digest"],
        widths=tuple(int(width) for width in row["widths"].split()),
        width=row["width"],
        height=row["height"],
        alt=alt,
    )


def checked_alt(text: str, *, field: str) -> str:
    alt = " ".join(text.split())
    if not alt:
        raise PictureRefused(
            "Describe the picture for people who cannot see it, such as “The cast on stage in Act 2”.", field
        )
    if len(alt) > MAX_ALT_LENGTH or "\x00" in alt:
        raise PictureRefused(f"Use at most {MAX_ALT_LENGTH} characters to describe the picture.", field)
    return alt


async def store_picture(prepared: PreparedPicture) -> int:
    """Keep the picture (once: the same picture uploaded twice is kept once); its id. Inside the
    caller's transaction."""
    existing = await Picture.select(Picture.id).where(Picture.digest == prepared.digest).first()
    if existing:
        return existing["id"]
    [row] = await Picture.insert(
        Picture(
            digest=prepared.digest,
            width=prepared.width,
            height=prepared.height,
            widths=" ".join(str(width) for width, _ in prepared.renditions),
        )
    ).returning(Picture.id)
    await PictureRendition.insert(
        *[
            PictureRendition(picture=row["id"], width=width, content=content)
            for width, content in prepared.renditions
        ]
    )
    return row["id"]


async def forget_if_unused(picture_id: int | None) -> None:
    """Delete a picture that no event and not the logo shows any more (inside the caller's transaction)."""
    if picture_id is None or await Event.exists().where(Event.picture == picture_id):
        return
    logo = await SiteSetting.select(SiteSetting.value).where(SiteSetting.key == LOGO_KEY).first()
    if logo and logo["value"] == str(picture_id):
        return
    await Picture.delete().where(Picture.id == picture_id)


async def picture_rendition(digest: str, width: int) -> bytes | None:
    row = (
        await PictureRendition.select(PictureRendition.content)
        .where((PictureRendition.picture.digest == digest) & (PictureRendition.width == width))
        .first()
    )
    return bytes(row["content"]) if row else None


async def set_event_picture(
    event_id: int, prepared: PreparedPicture | None, alt_text: str, *, actor_id: int | None, ip: str
) -> None:
    """Give the event a new picture, or (`prepared` None) new words for the one it has; raise
    PictureRefused (nothing changed) without words, or without any picture, or LookupError."""
    alt = checked_alt(alt_text, field="picture_alt")
    async with write_transaction():
        event = await Event.select(Event.picture).where(Event.id == event_id).first()
        if event is None:
            raise LookupError(event_id)
        if prepared is None and event["picture"] is None:
            raise PictureRefused("Choose a picture to upload.", "picture")
        picture_id = await store_picture(prepared) if prepared else event["picture"]
        await Event.update({Event.picture: picture_id, Event.picture_alt: alt}).where(Event.id == event_id)
        if picture_id != event["picture"]:
            await forget_if_unused(event["picture"])
        await audit.record(
            "event.picture_set",
            actor_id=actor_id,
            ip=ip,
            object_type="event",
            object_id=event_id,
            detail={"new_picture": prepared is not None},
        )


async def remove_event_picture(event_id: int, *, actor_id: int | None, ip: str) -> None:
    async with write_transaction():
        event = await Event.select(Event.picture).where(Event.id == event_id).first()
        if event is None:
            raise LookupError(event_id)
        if event["picture"] is None:
            return
        await Event.update({Event.picture: None, Event.picture_alt: ""}).where(Event.id == event_id)
        await forget_if_unused(event["picture"])
        await audit.record(
            "event.picture_removed", actor_id=actor_id, ip=ip, object_type="event", object_id=event_id
        )


async def event_picture(event_id: int) -> PictureRef | None:
    row = (
        await Event.select(*Event.picture.all_columns(), Event.picture_alt)
        .where((Event.id == event_id) & Event.picture.is_not_null())
        .first()
    )
    return picture_ref(strip_prefix(row, "picture."), row["picture_alt"]) if row else None


async def pictures_of_events(slugs: list[str]) -> dict[str, PictureRef]:
    """The pictures of the events with these slugs, by slug (events without one are left out)."""
    if not slugs:
        return {}
    rows = await Event.select(Event.slug, *Event.picture.all_columns(), Event.picture_alt).where(
        Event.slug.is_in(slugs) & Event.picture.is_not_null()
    )
    return {row["slug"]: picture_ref(strip_prefix(row, "picture."), row["picture_alt"]) for row in rows}


def strip_prefix(row: dict, prefix: str) -> dict:
    return {key.removeprefix(prefix): value for key, value in row.items()}


async def set_logo(prepared: PreparedPicture | None, alt_text: str, *, actor_id: int | None, ip: str) -> None:
    """Make the upload the venue's logo, or (`prepared` None) give the logo new words; PictureRefused
    (nothing changed) without words, or without any logo."""
    alt = checked_alt(alt_text, field="logo_alt")
    now = datetime.now(UTC)
    async with write_transaction():
        current = await logo_id()
        if prepared is None and current is None:
            raise PictureRefused("Choose a picture to upload.", "logo")
        picture_id = await store_picture(prepared) if prepared else current
        await store_site_setting(LOGO_KEY, str(picture_id), actor_id=actor_id, now=now)
        await store_site_setting(LOGO_ALT_KEY, alt, actor_id=actor_id, now=now)
        if picture_id != current:
            await forget_if_unused(current)
        await audit.record(
            "settings.logo_set",
            actor_id=actor_id,
            ip=ip,
            object_type="storefront_settings",
            detail={"new_picture": prepared is not None},
        )


async def remove_logo(*, actor_id: int, ip: str) -> None:
    async with write_transaction():
        current = await logo_id()
        if current is None:
            return
        await SiteSetting.delete().where(SiteSetting.key.is_in([LOGO_KEY, LOGO_ALT_KEY]))
        await forget_if_unused(current)
        await audit.record(
            "settings.logo_removed", actor_id=actor_id, ip=ip, object_type="storefront_settings"
        )


async def logo_id() -> int | None:
    row = await SiteSetting.select(SiteSetting.value).where(SiteSetting.key == LOGO_KEY).first()
    return int(row["value"]) if row and row["value"].isdigit() else None


async def house() -> House:
    """The venue's name and logo, as the storefront's header shows them: one query, two with a logo."""
    settings = {
        row["key"]: row["value"]
        for row in await SiteSetting.select(SiteSetting.key, SiteSetting.value).where(
            SiteSetting.key.is_in([HOUSE_NAME_KEY, LOGO_KEY, LOGO_ALT_KEY])
        )
    }
    logo = None
    if settings.get(LOGO_KEY, "").isdigit():
        row = await Picture.select().where(Picture.id == int(settings[LOGO_KEY])).first()
        logo = picture_ref(row, settings.get(LOGO_ALT_KEY, "")) if row else None
    return House(name=settings.get(HOUSE_NAME_KEY, ""), logo=logo)

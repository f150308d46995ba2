"""The venue's simple settings: its name as the pages show it, how long tickets are held, how many an
order may hold, paying at the box office, when reservations lapse, ticket stock.

They live in `SiteSetting` rows and fall back to their defaults until a venue changes them (only values
that differ from what is in effect are written, so saving an untouched form changes nothing). The same
form publishes new versions of the T&Cs and privacy policy (`venue.policies`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.venue.policies import MAX_POLICY_LENGTH, publish_policy, sanitise_policy_html, visible_text
from boxoffice.venue.tables import PolicyKind, SiteSetting

CONCURRENT_CHANGE = (
    "Someone else saved these settings at the same moment. Reload the page to see their changes, "
    "then make yours again."
)


class SettingsRefused(Refused):
    """The settings were not saved."""


@dataclass(frozen=True, slots=True)
class NumberRule:
    low: int
    high: int
    default: int
    message: str

    def allows(self, value: int) -> bool:
        return self.low <= value <= self.high


NUMBER_RULES = {
    "hold_minutes": NumberRule(5, 60, 15, "Enter a number of minutes from 5 to 60."),
    "max_tickets_per_order": NumberRule(1, 50, 10, "Enter a number of tickets from 1 to 50."),
    "reservation_lapse_hours": NumberRule(0, 168, 2, "Enter a number of hours from 0 to 168."),
}


DEFAULT_PAY_AT_BOX_OFFICE = True
HOUSE_NAME_LENGTH = 100


KEY_PREFIX = "storefront."  # SiteSetting keys of these settings: "storefront.hold_minutes", ...


@dataclass(frozen=True, slots=True)
class StorefrontSettings:
    house_name: str  # the venue's name in the storefront's and the back office's headers; may be empty
    hold_minutes: int
    max_tickets_per_order: int
    pay_at_box_office: bool
    reservation_lapse_hours: int  # reservations to pay at the box office lapse this long before the start
    thermal_tickets: bool  # tickets print on 80 x 150 mm ticket stock rather than A4


@dataclass(frozen=True, slots=True)
class StorefrontChanges:
    """The whole settings form, typed: what `save_storefront_settings` is asked to make true. The
    marketing questions are saved apart, from Marketing > Settings (`marketing.questions`)."""

    house_name: str
    hold_minutes: int
    max_tickets_per_order: int
    pay_at_box_office: bool
    reservation_lapse_hours: int
    thermal_tickets: bool
    terms_html: str
    privacy_html: str


def _parse_number(stored: str | None, rule: NumberRule) -> int:
    """A stored number, or the default when it is missing or unreadable or out of range."""
    if stored is None or not stored.isascii() or not stored.isdigit():
        return rule.default
    value = int(stored)
    return value if rule.allows(value) else rule.default


def _parse_flag(stored: str | None, default: bool) -> bool:
    return default if stored not in ("true", "false") else stored == "true"


async def _simple_values() -> dict[str, int | bool | str]:
    stored = {
        row["key"].removeprefix(KEY_PREFIX): row["value"]
        for row in await SiteSetting.select(SiteSetting.key, SiteSetting.value).where(
            SiteSetting.key.like(f"{KEY_PREFIX}%")
        )
    }
    values: dict[str, int | bool | str] = {
        key: _parse_number(stored.get(key), rule) for key, rule in NUMBER_RULES.items()
    }
    values["pay_at_box_office"] = _parse_flag(stored.get("pay_at_box_office"), DEFAULT_PAY_AT_BOX_OFFICE)
    values["thermal_tickets"] = _parse_flag(stored.get("thermal_tickets"), False)
    values["house_name"] = stored.get("house_name", "")
    return values


def _stored_text(value: int | bool | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def storefront_settings() -> StorefrontSettings:
    """The settings in effect, in one query."""
    values = await _simple_values()
    return StorefrontSettings(
        house_name=str(values["house_name"]),
        hold_minutes=int(values["hold_minutes"]),
        max_tickets_per_order=int(values["max_tickets_per_order"]),
        pay_at_box_office=bool(values["pay_at_box_office"]),
        reservation_lapse_hours=int(values["reservation_lapse_hours"]),
        thermal_tickets=bool(values["thermal_tickets"]),
    )


def find_problems(changes: StorefrontChanges) -> dict[str, str]:
    """What is wrong with `changes`, by form field; empty when they may be saved."""
    problems: dict[str, str] = {}
    if len(changes.house_name) > HOUSE_NAME_LENGTH or "\x00" in changes.house_name:
        problems["house_name"] = f"Use at most {HOUSE_NAME_LENGTH} characters for the venue's name."
    for name, rule in NUMBER_RULES.items():
        if not rule.allows(getattr(changes, name)):
            problems[name] = rule.message
    for field, label in (("terms_html", "terms and conditions"), ("privacy_html", "privacy policy")):
        html = getattr(changes, field)
        if len(html) > MAX_POLICY_LENGTH:
            problems[field] = f"Use at most {MAX_POLICY_LENGTH:,} characters for the {label}."
        elif not visible_text(sanitise_policy_html(html)):
            problems[field] = f"Enter the {label}."
    return problems


async def house_name() -> str:
    """The venue's name as the pages' headers show it ("" until one is set)."""
    stored = (
        await SiteSetting.select(SiteSetting.value)
        .where(SiteSetting.key == KEY_PREFIX + "house_name")
        .first()
    )
    return stored["value"] if stored else ""


async def name_the_house(name: str, *, now: datetime) -> None:
    """Set the venue's name as the pages show it, as `boxoffice demo` does before anyone signs in."""
    await store_site_setting(KEY_PREFIX + "house_name", name, actor_id=None, now=now)


async def store_site_setting(key: str, value: str, *, actor_id: int | None, now: datetime) -> None:
    """Write one simple setting, adding it or replacing its value; inside the caller's transaction."""
    await SiteSetting.insert(
        SiteSetting(key=key, value=value, updated_at=now, updated_by=actor_id)
    ).on_conflict(
        target=SiteSetting.key,
        action="DO UPDATE",
        values=[SiteSetting.value, SiteSetting.updated_at, SiteSetting.updated_by],
    )


async def save_storefront_settings(changes: StorefrontChanges, *, actor_id: int, ip: str) -> None:
    """Make `changes` the settings in effect, all or nothing, or raise SettingsRefused.

    Only what differs from the settings in effect is written: a simple value that changed, a new policy
    version when its sanitised HTML changed; each is audited (without customers' data)."""
    problems = find_problems(changes)
    if problems:
        raise SettingsRefused(problems)
    now = datetime.now(UTC)
    wanted: dict[str, int | bool | str] = {
        "house_name": changes.house_name,
        "hold_minutes": changes.hold_minutes,
        "max_tickets_per_order": changes.max_tickets_per_order,
        "pay_at_box_office": changes.pay_at_box_office,
        "reservation_lapse_hours": changes.reservation_lapse_hours,
        "thermal_tickets": changes.thermal_tickets,
    }
    async with write_transaction():
        in_effect = await _simple_values()
        changed = {key: value for key, value in wanted.items() if in_effect[key] != value}
        for key, value in changed.items():
            await store_site_setting(KEY_PREFIX + key, _stored_text(value), actor_id=actor_id, now=now)
        if changed:
            await audit.record(
                "settings.storefront_updated",
                actor_id=actor_id,
                ip=ip,
                object_type="storefront_settings",
                detail={"changed": changed},
            )
        for kind, html in (
            (PolicyKind.TERMS, changes.terms_html),
            (PolicyKind.PRIVACY, changes.privacy_html),
        ):
            published = await publish_policy(
                kind, html=sanitise_policy_html(html), actor_id=actor_id, ip=ip, now=now
            )
            if not published:
                raise SettingsRefused(CONCURRENT_CHANGE)

"""Storefront settings: checkout limits, the two marketing questions, and the T&Cs and privacy policy.

Simple values live in `SiteSetting` rows and fall back to their defaults until a venue changes them
(only values that differ from what is in effect are written, so saving an untouched form changes
nothing). The marketing questions and the policies are versioned instead: every change adds a row and
no row is ever edited, so the exact words a customer saw, and the version they accepted, stay on record.
The questions are read here, where checkout and the box office look for them, and changed from
Marketing > Settings (`marketing.questions`).

Version 1 of each question and each policy is created the first time it is read (a storefront page, the
settings page, a sale), not by a migration: a database emptied by a test or a restore gets it back as
well. Creation is race-safe: (kind, version) is unique and the insert is `ON CONFLICT DO NOTHING`, so two
first readers at once both end up reading the same single row.

Policy HTML is pasted in by venue staff and shown to the public, so it is sanitised with nh3 before it
is stored and again when it is read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.documents.html import formatting_cleaner
from boxoffice.errors import Refused
from boxoffice.marketing.tables import ConsentQuestion, QuestionKind
from boxoffice.storefront.tables import PolicyDocument, PolicyKind, SiteSetting

if TYPE_CHECKING:
    import nh3

MAX_WORDING_LENGTH = 500
MAX_POLICY_LENGTH = 200_000  # characters of HTML as submitted

DEFAULT_QUESTION_TEXT = {
    QuestionKind.ONLINE: "Yes, please e-mail me about upcoming shows, events and offers.",
    QuestionKind.BOX_OFFICE: "The customer agreed to hear about upcoming shows, events and offers by e-mail.",
}

DEFAULT_POLICY_HTML = {
    PolicyKind.TERMS: """\
<p><strong>These are example terms supplied with Boxoffice. The venue should replace them with its own
terms and conditions before it sells tickets.</strong></p>
<h2>Buying tickets</h2>
<ul>
<li>Tickets are sold by the venue named on them, subject to availability, at the price shown when
you buy.</li>
<li>Please check your order before you pay. Tickets are not refundable or exchangeable unless the venue
says otherwise or the performance is cancelled, in which case you will be offered a refund.</li>
</ul>
<h2>At the venue</h2>
<ul>
<li>Each ticket admits one person once: its code is checked at the door, so keep it to yourself.</li>
<li>Latecomers may be admitted at a suitable break. The venue may change the programme or performers
when it has to.</li>
</ul>
<p>Questions about your booking? Please contact the box office.</p>""",
    PolicyKind.PRIVACY: """\
<p><strong>This is an example privacy notice supplied with Boxoffice. The venue should replace it with
its own notice, naming itself as the data controller and giving its contact details.</strong></p>
<h2>What we keep and why</h2>
<ul>
<li>Your name, e-mail address and the other details you give us, to sell you tickets, send them to you
and tell you about changes to your booking.</li>
<li>Your orders and tickets, as our accounts require.</li>
<li>Your marketing choices, with when and how you made them. We send you news only if you asked for it,
and every such e-mail has a link that stops it at once.</li>
</ul>
<h2>Payments</h2>
<p>Card payments are handled by Stripe. We never see or store your card details.</p>
<h2>Your rights</h2>
<p>You may ask for a copy of what we hold about you, ask us to correct it, to restrict its use or to
delete it, and you may complain to your data protection authority.</p>""",
}

POLICY_TITLES = {PolicyKind.TERMS: "Terms and conditions", PolicyKind.PRIVACY: "Privacy policy"}

CONCURRENT_CHANGE = (
    "Someone else saved these settings at the same moment. Reload the page to see their changes, "
    "then make yours again."
)


@functools.cache
def policy_cleaners() -> tuple[nh3.Cleaner, nh3.Cleaner]:
    """The cleaner for policy HTML, and one that keeps only its text."""
    policy = formatting_cleaner({"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a"})
    return policy, formatting_cleaner(set())


def sanitise_policy_html(html: str) -> str:
    """Policy HTML reduced to ordinary formatting: paragraphs, line breaks, h2-h4 headings, lists,
    strong, em, and links to http, https or mailto addresses (which get rel="noopener noreferrer").
    Scripts and styles go with their content; images, style and event-handler attributes, relative and
    `javascript:` URLs, and every other tag or attribute are dropped."""
    policy, _ = policy_cleaners()
    return policy.clean(html.replace("\r\n", "\n").strip()).strip()


def tidy_wording(text: str) -> str:
    """A question's wording on one line with single spaces, as it is shown."""
    return " ".join(text.split())


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
KEY_PREFIX = "storefront."  # SiteSetting keys of these settings: "storefront.hold_minutes", ...


@dataclass(frozen=True, slots=True)
class ConsentQuestionVersion:
    """The version of a marketing question in effect; `id` is its ConsentQuestion row, which a consent
    record given under it points at."""

    id: int
    kind: str
    version: int
    text: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class ConsentQuestionChange:
    """One version in a question's history."""

    id: int
    version: int
    text: str
    enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    kind: str
    version: int
    html: str  # sanitised
    published_at: datetime


@dataclass(frozen=True, slots=True)
class StorefrontSettings:
    hold_minutes: int
    max_tickets_per_order: int
    pay_at_box_office: bool
    reservation_lapse_hours: int  # reservations to pay at the box office lapse this long before the start
    thermal_tickets: bool  # tickets print on 80 x 150 mm ticket stock rather than A4
    online_question: ConsentQuestionVersion
    box_office_question: ConsentQuestionVersion


@dataclass(frozen=True, slots=True)
class StorefrontChanges:
    """The whole settings form, typed: what `save_storefront_settings` is asked to make true. The
    marketing questions are saved apart, from Marketing > Settings (`marketing.questions`)."""

    hold_minutes: int
    max_tickets_per_order: int
    pay_at_box_office: bool
    reservation_lapse_hours: int
    thermal_tickets: bool
    terms_html: str
    privacy_html: str


# Reading


def _parse_number(stored: str | None, rule: NumberRule) -> int:
    """A stored number, or the default when it is missing or unreadable or out of range."""
    if stored is None or not stored.isascii() or not stored.isdigit():
        return rule.default
    value = int(stored)
    return value if rule.allows(value) else rule.default


def _parse_flag(stored: str | None, default: bool) -> bool:
    return default if stored not in ("true", "false") else stored == "true"


async def _simple_values() -> dict[str, int | bool]:
    stored = {
        row["key"].removeprefix(KEY_PREFIX): row["value"]
        for row in await SiteSetting.select(SiteSetting.key, SiteSetting.value).where(
            SiteSetting.key.like(f"{KEY_PREFIX}%")
        )
    }
    values: dict[str, int | bool] = {
        key: _parse_number(stored.get(key), rule) for key, rule in NUMBER_RULES.items()
    }
    values["pay_at_box_office"] = _parse_flag(stored.get("pay_at_box_office"), DEFAULT_PAY_AT_BOX_OFFICE)
    values["thermal_tickets"] = _parse_flag(stored.get("thermal_tickets"), False)
    return values


def _stored_text(value: int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _question_kind(kind: str) -> QuestionKind:
    try:
        return QuestionKind(kind)
    except ValueError:
        raise ValueError(f"no marketing question of kind {kind!r}") from None


def _policy_kind(kind: str) -> PolicyKind:
    try:
        return PolicyKind(kind)
    except ValueError:
        raise ValueError(f"no policy of kind {kind!r}") from None


async def current_question(kind: QuestionKind) -> ConsentQuestionVersion:
    for _ in range(2):
        row = (
            await ConsentQuestion.select(
                ConsentQuestion.id, ConsentQuestion.version, ConsentQuestion.text, ConsentQuestion.enabled
            )
            .where(ConsentQuestion.kind == kind)
            .order_by(ConsentQuestion.version, ascending=False)
            .first()
        )
        if row is not None:
            return ConsentQuestionVersion(
                id=row["id"],
                kind=kind.value,
                version=row["version"],
                text=row["text"],
                enabled=row["enabled"],
            )
        await ConsentQuestion.insert(
            ConsentQuestion(kind=kind, version=1, text=DEFAULT_QUESTION_TEXT[kind], enabled=True)
        ).on_conflict(action="DO NOTHING")
    raise RuntimeError(f"the first {kind} question could not be created")


async def consent_question(question_id: int) -> ConsentQuestionVersion | None:
    """One version of a marketing question by its id, whether or not it is still in use."""
    row = (
        await ConsentQuestion.select(
            ConsentQuestion.id,
            ConsentQuestion.kind,
            ConsentQuestion.version,
            ConsentQuestion.text,
            ConsentQuestion.enabled,
        )
        .where(ConsentQuestion.id == question_id)
        .first()
    )
    return ConsentQuestionVersion(**row) if row else None


async def storefront_settings() -> StorefrontSettings:
    """The settings in effect (three queries once the questions exist)."""
    values = await _simple_values()
    return StorefrontSettings(
        hold_minutes=int(values["hold_minutes"]),
        max_tickets_per_order=int(values["max_tickets_per_order"]),
        pay_at_box_office=bool(values["pay_at_box_office"]),
        reservation_lapse_hours=int(values["reservation_lapse_hours"]),
        thermal_tickets=bool(values["thermal_tickets"]),
        online_question=await current_question(QuestionKind.ONLINE),
        box_office_question=await current_question(QuestionKind.BOX_OFFICE),
    )


async def consent_question_history(kind: str) -> list[ConsentQuestionChange]:
    """Every version of a question, newest first."""
    question_kind = _question_kind(kind)
    await current_question(question_kind)
    rows = (
        await ConsentQuestion.select(
            ConsentQuestion.id,
            ConsentQuestion.version,
            ConsentQuestion.text,
            ConsentQuestion.enabled,
            ConsentQuestion.created_at,
        )
        .where(ConsentQuestion.kind == question_kind)
        .order_by(ConsentQuestion.version, ascending=False)
    )
    return [
        ConsentQuestionChange(
            id=row["id"],
            version=row["version"],
            text=row["text"],
            enabled=row["enabled"],
            created_at=row["created_at"],
        )
        for row in rows
    ]


def _policy_version(row: dict) -> PolicyVersion:
    return PolicyVersion(
        kind=row["kind"],
        version=row["version"],
        html=sanitise_policy_html(row["body_html"]),
        published_at=row["published_at"],
    )


POLICY_COLUMNS = (
    PolicyDocument.kind,
    PolicyDocument.version,
    PolicyDocument.body_html,
    PolicyDocument.published_at,
)


async def _create_first_policy(kind: PolicyKind) -> None:
    await PolicyDocument.insert(
        PolicyDocument(kind=kind, version=1, body_html=sanitise_policy_html(DEFAULT_POLICY_HTML[kind]))
    ).on_conflict(action="DO NOTHING")


async def current_policy(kind: str) -> PolicyVersion:
    """The version of the T&Cs ("terms") or privacy policy ("privacy") in effect."""
    policy_kind = _policy_kind(kind)
    for _ in range(2):
        row = (
            await PolicyDocument.select(*POLICY_COLUMNS)
            .where(PolicyDocument.kind == policy_kind)
            .order_by(PolicyDocument.version, ascending=False)
            .first()
        )
        if row is not None:
            return _policy_version(row)
        await _create_first_policy(policy_kind)
    raise RuntimeError(f"the first {kind} policy could not be created")


async def policy_version(kind: str, version: int) -> PolicyVersion | None:
    """One published version, or None when there is no such version."""
    policy_kind = _policy_kind(kind)
    if version == 1:
        await current_policy(policy_kind)
    row = (
        await PolicyDocument.select(*POLICY_COLUMNS)
        .where((PolicyDocument.kind == policy_kind) & (PolicyDocument.version == version))
        .first()
    )
    return _policy_version(row) if row else None


async def policy_versions(kind: str) -> list[PolicyVersion]:
    """Every published version, newest first."""
    policy_kind = _policy_kind(kind)
    await current_policy(policy_kind)
    rows = (
        await PolicyDocument.select(*POLICY_COLUMNS)
        .where(PolicyDocument.kind == policy_kind)
        .order_by(PolicyDocument.version, ascending=False)
    )
    return [_policy_version(row) for row in rows]


# Saving


def _visible_text(html: str) -> str:
    _, text_only = policy_cleaners()
    return text_only.clean(html).strip()


def find_problems(changes: StorefrontChanges) -> dict[str, str]:
    """What is wrong with `changes`, by form field; empty when they may be saved."""
    problems: dict[str, str] = {}
    for name, rule in NUMBER_RULES.items():
        if not rule.allows(getattr(changes, name)):
            problems[name] = rule.message
    for field, label in (("terms_html", "terms and conditions"), ("privacy_html", "privacy policy")):
        html = getattr(changes, field)
        if len(html) > MAX_POLICY_LENGTH:
            problems[field] = f"Use at most {MAX_POLICY_LENGTH:,} characters for the {label}."
        elif not _visible_text(sanitise_policy_html(html)):
            problems[field] = f"Enter the {label}."
    return problems


async def _save_policy(kind: PolicyKind, *, html: str, actor_id: int, ip: str, now: datetime) -> None:
    current = await current_policy(kind)
    if current.html == html:
        return
    version = current.version + 1
    added = (
        await PolicyDocument.insert(
            PolicyDocument(
                kind=kind, version=version, body_html=html, published_at=now, published_by=actor_id
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(PolicyDocument.id)
    )
    if not added:
        raise SettingsRefused({"": CONCURRENT_CHANGE})
    await audit.record(
        "policy.published",
        actor_id=actor_id,
        ip=ip,
        object_type="policy_document",
        object_id=added[0]["id"],
        detail={"kind": kind.value, "version": version},
    )


async def store_site_setting(key: str, value: str, *, actor_id: int, now: datetime) -> None:
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
    wanted: dict[str, int | bool] = {
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
        await _save_policy(
            PolicyKind.TERMS, html=sanitise_policy_html(changes.terms_html), actor_id=actor_id, ip=ip, now=now
        )
        await _save_policy(
            PolicyKind.PRIVACY,
            html=sanitise_policy_html(changes.privacy_html),
            actor_id=actor_id,
            ip=ip,
            now=now,
        )

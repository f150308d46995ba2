"""Who a campaign may go to: contacts whose current e-mail consent is "opt in", narrowed by staff's filters.

Everything is one SQL condition on the contact table, so an audience is counted, or written down as a
campaign's recipients, by the database without loading contacts. Restricted and removed contacts are
never in it, nor contacts with no e-mail address. The filters:
- a CRM tag;
- an event or one performance attended: a valid ticket for it in a paid order;
- a purchase date range: a paid order placed on those days.
A filter naming something that no longer exists matches nobody: it never widens the audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.crm.contacts import search_condition
from boxoffice.crm.tables import Contact, Tag
from boxoffice.db import as_utc
from boxoffice.marketing.tables import Channel
from boxoffice.sales.tables import Event, OrderStatus, Performance, TicketStatus

# The contact's latest e-mail consent (by time, then id, as `consent.consent_status` reads it) is a grant.
OPTED_IN_BY_EMAIL = (
    "(SELECT consent_record.granted FROM consent_record"
    " WHERE consent_record.contact = contact.id AND consent_record.channel = {}"
    " ORDER BY consent_record.recorded_at DESC, consent_record.id DESC LIMIT 1) = {}"
)
# The filters name the contacts they keep from the orders' side, so a filter is read once, through its
# own indexes, rather than once for every contact.
ATTENDED = (
    'contact.id IN (SELECT "order".contact FROM ticket JOIN "order" ON "order".id = ticket."order"'
    " JOIN performance ON performance.id = ticket.performance"
    ' WHERE "order".status = {} AND ticket.status = {}'
)
PURCHASED = 'contact.id IN (SELECT "order".contact FROM "order" WHERE "order".status = {}'


@dataclass(frozen=True, slots=True)
class AudienceFilter:
    """The narrowing a campaign asks for; every field left as None means "anyone who opted in"."""

    tag_id: int | None = None
    event_id: int | None = None
    performance_id: int | None = None
    purchased_from: datetime | None = None
    purchased_until: datetime | None = None  # exclusive


def reachable_condition() -> tuple[str, list[object]]:
    """Contacts we may e-mail marketing to right now: opted in by e-mail, not restricted, not removed,
    with an address. Checked again for each recipient just before their message is queued."""
    where, values = search_condition("", None, include_restricted=False)
    return (
        f"{where} AND email <> {{}} AND {OPTED_IN_BY_EMAIL}",
        [*values, "", Channel.EMAIL.value, True],
    )


def audience_condition(audience: AudienceFilter) -> tuple[str, list[object]]:
    """The WHERE clause on `contact` (portable SQL, `{}` placeholders) and its values for an audience."""
    where, values = reachable_condition()
    clauses = [where]
    if audience.tag_id is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM contact_tag"
            " WHERE contact_tag.contact = contact.id AND contact_tag.tag = {})"
        )
        values.append(audience.tag_id)
    if audience.performance_id is not None or audience.event_id is not None:
        attended = ATTENDED
        values += [OrderStatus.PAID.value, TicketStatus.VALID.value]
        if audience.performance_id is not None:
            attended += " AND ticket.performance = {}"
            values.append(audience.performance_id)
        if audience.event_id is not None:
            attended += " AND performance.event = {}"
            values.append(audience.event_id)
        clauses.append(attended + ")")
    if audience.purchased_from is not None or audience.purchased_until is not None:
        purchased = PURCHASED
        values.append(OrderStatus.PAID.value)
        if audience.purchased_from is not None:
            purchased += ' AND "order".created_at >= {}'
            values.append(audience.purchased_from)
        if audience.purchased_until is not None:
            purchased += ' AND "order".created_at < {}'
            values.append(audience.purchased_until)
        clauses.append(purchased + ")")
    return " AND ".join(clauses), values


async def audience_size(audience: AudienceFilter) -> int:
    where, values = audience_condition(audience)
    [counted] = await Contact.raw(f"SELECT COUNT(*) AS total FROM contact WHERE {where}", *values)
    return counted["total"]


@dataclass(frozen=True, slots=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True, slots=True)
class AudienceChoices:
    """What the campaign form offers to narrow an audience by."""

    tags: list[Choice]
    events: list[Choice]
    performances: list[tuple[str, list[Choice]]]  # grouped by event title, newest events first


async def audience_choices() -> AudienceChoices:
    tags = await Tag.select(Tag.id, Tag.name).order_by(Tag.name)
    events = await Event.select(Event.id, Event.title).order_by(Event.id, ascending=False)
    performances = await Performance.select(
        Performance.id, Performance.event, Performance.starts_at
    ).order_by(Performance.starts_at)
    by_event: dict[int, list[Choice]] = {}
    for row in performances:
        starts = as_utc(row["starts_at"])
        by_event.setdefault(row["event"], []).append(
            Choice(row["id"], starts.strftime("%a %d %b %Y %H:%M UTC"))
        )
    return AudienceChoices(
        tags=[Choice(row["id"], row["name"]) for row in tags],
        events=[Choice(row["id"], row["title"]) for row in events],
        performances=[(row["title"], by_event[row["id"]]) for row in events if row["id"] in by_event],
    )


def describe(audience: AudienceFilter, choices: AudienceChoices) -> list[str]:
    """The filters in words, for the campaign's page and report."""
    tags = {choice.id: choice.label for choice in choices.tags}
    events = {choice.id: choice.label for choice in choices.events}
    performances = {
        choice.id: f"{title}, {choice.label}" for title, group in choices.performances for choice in group
    }
    words = []
    if audience.tag_id is not None:
        words.append(f"tagged “{tags.get(audience.tag_id, 'a deleted tag')}”")
    if audience.event_id is not None:
        words.append(f"with tickets for {events.get(audience.event_id, 'a deleted event')}")
    if audience.performance_id is not None:
        words.append(f"with tickets for {performances.get(audience.performance_id, 'a deleted performance')}")
    if audience.purchased_from is not None:
        words.append(f"bought on or after {audience.purchased_from:%d %b %Y}")
    if audience.purchased_until is not None:
        last_day = audience.purchased_until - timedelta(days=1)
        words.append(f"bought on or before {last_day:%d %b %Y}")
    return words

"""The breach register (GDPR 33-34): every personal-data breach the venue finds, what it decided about
it and why, and whom it told.

The authority must hear of a breach within 72 hours of its discovery unless it is unlikely to harm
anyone (`deadline`); people must be told when the risk to them is high. They are chosen by a CRM search
(every current contact it finds who has an e-mail address, restricted ones too: telling them is an
obligation, not marketing) and each is sent the venue's message through the outbox, once: a second
send of the same breach skips whoever was told already. Every step is audited; no customer's details
are kept here, only which contacts were told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.auth import audit
from boxoffice.crm.contacts import MAX_QUERY_LENGTH, search_condition
from boxoffice.crm.tables import Contact
from boxoffice.db import as_utc, optional_utc, write_transaction
from boxoffice.errors import Refused
from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.templates import PRIVACY_CENTRE_PATH, render_email
from boxoffice.privacy.tables import Breach, BreachNotice, BreachRisk

REPORTING_WINDOW = timedelta(hours=72)
MAX_TEXT = 4000
MAX_SUBJECT = 150
RISK_LABELS = {
    BreachRisk.UNLIKELY: "Unlikely to result in a risk to people",
    BreachRisk.RISK: "A risk to people: report to the authority",
    BreachRisk.HIGH: "A high risk: report, and tell the people affected",
}
DECISIONS = {"notify": "Report to the authority", "no_notification": "Do not report"}


class BreachRefused(Refused):
    """Nothing was recorded; the message says why."""


@dataclass(frozen=True, slots=True)
class BreachRecord:
    id: int
    found_at: datetime
    what_happened: str
    data_involved: str
    people_affected: int
    risk: str
    decision: str
    decision_reason: str
    authority_notified_at: datetime | None
    notified_people: int

    @property
    def deadline(self) -> datetime:
        return self.found_at + REPORTING_WINDOW

    def time_left(self, now: datetime) -> str:
        """The countdown to the authority's deadline, in words."""
        if self.authority_notified_at is not None:
            return "The authority was notified."
        if self.decision == "no_notification":
            return "Decided not to report."
        seconds = int((self.deadline - now).total_seconds())
        hours, minutes = divmod(abs(seconds) // 60, 60)
        span = f"{hours} hours {minutes} minutes"
        return f"{span} left to notify the authority" if seconds >= 0 else f"The deadline passed {span} ago"


@dataclass(frozen=True, slots=True)
class BreachForm:
    found_at: str
    what_happened: str
    data_involved: str
    people_affected: str
    risk: str


def parse_moment(text: str, now: datetime) -> datetime:
    """A moment typed as YYYY-MM-DDTHH:MM (a datetime-local field), read in UTC."""
    moment = datetime.fromisoformat(text.strip()).replace(second=0, microsecond=0)
    moment = moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment
    if not now - timedelta(days=3650) <= moment <= now:
        raise ValueError(text)
    return moment


async def record_breach(form: BreachForm, *, actor_id: int, ip: str, now: datetime) -> int:
    problems = {}
    try:
        found_at = parse_moment(form.found_at, now)
    except ValueError:
        problems["found_at"] = "Enter when the breach was found, such as 2026-11-21T09:30, not in the future."
    if not form.what_happened.strip():
        problems["what_happened"] = "Say what happened."
    if not form.data_involved.strip():
        problems["data_involved"] = "Say what personal data was involved."
    count = form.people_affected.strip()
    if not (count.isascii() and count.isdigit() and len(count) <= 9):
        problems["people_affected"] = "Enter how many people are affected, as a number (your best estimate)."
    if form.risk not in {risk.value for risk in BreachRisk}:
        problems["risk"] = "Choose the risk to the people affected."
    if problems:
        raise BreachRefused(problems)
    async with write_transaction():
        [row] = await Breach.insert(
            Breach(
                found_at=found_at,
                what_happened=form.what_happened.strip()[:MAX_TEXT],
                data_involved=form.data_involved.strip()[:MAX_TEXT],
                people_affected=int(count),
                risk=form.risk,
                recorded_by=actor_id,
                created_at=now,
            )
        ).returning(Breach.id)
        await audit.record(
            "breach.recorded",
            actor_id=actor_id,
            ip=ip,
            object_type="breach",
            object_id=row["id"],
            detail={"risk": form.risk, "people_affected": int(count)},
        )
    return row["id"]


def record_from_row(row: dict, notified: int) -> BreachRecord:
    return BreachRecord(
        id=row["id"],
        found_at=as_utc(row["found_at"]),
        what_happened=row["what_happened"],
        data_involved=row["data_involved"],
        people_affected=row["people_affected"],
        risk=row["risk"],
        decision=row["decision"],
        decision_reason=row["decision_reason"],
        authority_notified_at=optional_utc(row["authority_notified_at"]),
        notified_people=notified,
    )


async def list_breaches() -> list[BreachRecord]:
    rows = await Breach.select().order_by(Breach.found_at, ascending=False)
    return [
        record_from_row(row, await BreachNotice.count().where(BreachNotice.breach == row["id"]))
        for row in rows
    ]


async def get_breach(breach_id: int) -> BreachRecord | None:
    row = await Breach.select().where(Breach.id == breach_id).first()
    if row is None:
        return None
    return record_from_row(row, await BreachNotice.count().where(BreachNotice.breach == breach_id))


async def decide(
    breach_id: int, decision: str, reason: str, notified: bool, *, actor_id: int, ip: str, now: datetime
) -> None:
    """Record whether the breach is reported to the authority, and why; `notified` that it was, now."""
    problems = {}
    if decision not in DECISIONS:
        problems["decision"] = "Choose whether to report the breach to the authority."
    if not reason.strip():
        problems["reason"] = "Write the reason for the decision."
    if notified and decision != "notify":
        problems["notified"] = "Only a breach you decided to report can be marked as reported."
    if problems:
        raise BreachRefused(problems)
    async with write_transaction():
        values = {Breach.decision: decision, Breach.decision_reason: reason.strip()[:MAX_TEXT]}
        if notified:
            values[Breach.authority_notified_at] = now
        updated = await Breach.update(values).where(Breach.id == breach_id).returning(Breach.id)
        if not updated:
            raise LookupError(breach_id)
        await audit.record(
            "breach.decided",
            actor_id=actor_id,
            ip=ip,
            object_type="breach",
            object_id=breach_id,
            detail={"decision": decision, "authority_notified": notified},
        )


def audience_condition(query: str, tag_id: int | None) -> tuple[str, list[object]]:
    where, values = search_condition(query[:MAX_QUERY_LENGTH], tag_id)
    return f"{where} AND email <> ''", values


async def audience_count(query: str, tag_id: int | None) -> int:
    where, values = audience_condition(query, tag_id)
    [counted] = await Contact.raw(f"SELECT COUNT(*) AS total FROM contact WHERE {where}", *values)
    return counted["total"]


async def notify_people(
    breach_id: int,
    query: str,
    tag_id: int | None,
    subject: str,
    message: str,
    *,
    base_url: str,
    actor_id: int,
    ip: str,
    now: datetime,
) -> int:
    """Queue the venue's message to every contact the search finds who was not told of this breach yet;
    how many were queued. Everyone is queued in one transaction, with their notice row."""
    problems = {}
    if not subject.strip() or len(subject) > MAX_SUBJECT or "\n" in subject or "\r" in subject:
        problems["subject"] = f"Write a subject of one line, at most {MAX_SUBJECT} characters."
    if not message.strip():
        problems["message"] = "Write the message to the people affected."
    if not query.strip() and tag_id is None:
        problems["q"] = (
            "Search for the people affected, or choose a tag: an empty search would tell everyone."
        )
    if problems:
        raise BreachRefused(problems)
    if await get_breach(breach_id) is None:
        raise LookupError(breach_id)
    where, values = audience_condition(query, tag_id)
    text, html = render_email(
        "breach_notice",
        {"message": message.strip()[:MAX_TEXT], "privacy_centre_url": base_url + PRIVACY_CENTRE_PATH},
    )
    async with write_transaction():
        rows = await Contact.raw(
            f"SELECT id, email FROM contact WHERE {where} AND NOT EXISTS (SELECT 1 FROM breach_notice n "
            "WHERE n.breach = {} AND n.contact = contact.id) ORDER BY id",
            *values,
            breach_id,
        )
        for row in rows:
            message_id = await queue_email(
                Email(
                    recipient=row["email"],
                    subject=subject.strip(),
                    text=text,
                    html=html,
                    kind="breach_notice",
                )
            )
            await BreachNotice.insert(
                BreachNotice(
                    breach=breach_id, contact=row["id"], message=message_id, sent_by=actor_id, queued_at=now
                )
            )
        await audit.record(
            "breach.people_notified",
            actor_id=actor_id,
            ip=ip,
            object_type="breach",
            object_id=breach_id,
            detail={"people": len(rows)},
        )
    return len(rows)

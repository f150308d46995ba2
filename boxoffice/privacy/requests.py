"""The register of privacy requests (GDPR 15-18 and 21): every request, wherever it was made, with its
deadline, and everything done on it.

A request must be answered within one month of its receipt (Art. 12(3)): the same day number in the
next month, or that month's last day when it has no such day (31 January is due 28 or 29 February).
The deadline may be extended once, by one or two further months, with a reason recorded; a second
extension is refused. Acting on a request (an export, a correction, a restriction, a removal, a
withdrawal of marketing consent) goes through the same services staff use elsewhere, and is recorded
on the request as one of its actions. Erasure asked for in the privacy centre waits for staff when the
person holds tickets for a performance still to come; otherwise the venue may let the worker remove
them after a cooling-off period (`auto_erasure_days`, 0 for never).
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from boxoffice.auth import audit
from boxoffice.auth.permissions import Perm, deserialise, holds
from boxoffice.auth.tables import StaffUser
from boxoffice.crm.contacts import ContactDetails
from boxoffice.crm.records import ContactGone, live_contact, set_restricted, update_details
from boxoffice.crm.tables import Contact
from boxoffice.db import as_utc, one_of, optional_utc, write_transaction
from boxoffice.errors import Refused
from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.templates import render_email
from boxoffice.marketing.consent import consent_status, record_consent
from boxoffice.marketing.tables import ConsentSource
from boxoffice.paging import Page, PageRequest
from boxoffice.privacy.erasure import AlreadyRemoved, erase_contact
from boxoffice.privacy.tables import (
    PrivacyRequest,
    RequestAction,
    RequestChannel,
    RequestKind,
    RequestStatus,
)
from boxoffice.venue.settings import NumberRule, SettingsRefused, store_site_setting
from boxoffice.venue.tables import SiteSetting

log = logging.getLogger(__name__)

KIND_LABELS = {
    RequestKind.ACCESS: "Access (a copy of their data)",
    RequestKind.RECTIFICATION: "Rectification (correct their details)",
    RequestKind.ERASURE: "Erasure (remove them)",
    RequestKind.RESTRICTION: "Restriction of processing",
    RequestKind.OBJECTION: "Objection to marketing",
}
CHANNEL_LABELS = {
    RequestChannel.CENTRE: "Privacy centre",
    RequestChannel.LETTER: "Letter",
    RequestChannel.CALL: "Phone call",
    RequestChannel.VISIT: "Visit",
    RequestChannel.EMAIL: "E-mail",
}
STATUS_LABELS = {
    RequestStatus.OPEN: "Open",
    RequestStatus.SCHEDULED: "Removal scheduled",
    RequestStatus.DONE: "Done",
    RequestStatus.REFUSED: "Refused",
}
CLOSED = (RequestStatus.DONE, RequestStatus.REFUSED)
REGISTER_PAGE_SIZE = 50
MAX_TEXT = 2000
DUE_SOON_DAYS = 7  # "due this week": the dashboard and the daily e-mail
LONGEST_EXTENSION_MONTHS = 2
CENTRE_IDENTITY_CHECK = "Signed in to the privacy centre with a link sent to the contact's e-mail address."
AUTO_ERASURE_KEY = "privacy.auto_erasure_days"
AUTO_ERASURE_RULE = NumberRule(0, 90, 0, "Enter a number of days from 0 (never) to 90.")
DIGEST_KEY = "privacy.due_digest_sent_on"


class RequestRefused(Refused):
    """Nothing was changed on the request; the message says why."""


def months_later(start: date, months: int) -> date:
    """The same day number `months` later, or the last day of that month when it is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(received_on: date) -> date:
    """When a request received on `received_on` must be answered: one month later (Art. 12(3))."""
    return months_later(received_on, 1)


def extended_due_date(received_on: date, months: int) -> date:
    """The deadline extended by `months` further months, counted from receipt like the first."""
    return months_later(received_on, 1 + months)


@dataclass(frozen=True, slots=True)
class Action:
    action: str
    detail: str
    actor_name: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class RequestSummary:
    id: int
    kind: str
    channel: str
    contact_id: int | None
    who: str  # the contact's name, or the name and address given
    contact_removed: bool
    identity_check: str
    received_on: date
    due_on: date  # the deadline in force, extended or not
    extended: bool
    extension_reason: str
    status: str
    remove_after: datetime | None
    handler_name: str | None
    closed_at: datetime | None
    actions: list[Action] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status not in CLOSED

    def overdue(self, today: date) -> bool:
        return self.open and self.due_on < today

    def days_left(self, today: date) -> int:
        return (self.due_on - today).days


REQUEST_COLUMNS = (
    "r.id, r.kind, r.channel, r.contact, r.requester, r.identity_check, r.received_on, r.due_on, "
    "r.extended_to, r.extension_reason, r.status, r.remove_after, r.handler, r.closed_at, "
    "c.first_name, c.last_name, c.email, c.erased_at, s.name AS handler_name"
)
REQUEST_FROM = (
    "FROM privacy_request r LEFT JOIN contact c ON c.id = r.contact "
    "LEFT JOIN staff_user s ON s.id = r.handler"
)


def as_date(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def summary_from_row(row: dict) -> RequestSummary:
    removed = row["contact"] is not None and row["erased_at"] is not None
    if row["contact"] is not None and not removed:
        who = " ".join(part for part in (row["first_name"], row["last_name"]) if part) or row["email"]
    elif removed:
        who = "A removed contact"
    else:
        who = row["requester"]
    extended_to = row["extended_to"]
    return RequestSummary(
        id=row["id"],
        kind=row["kind"],
        channel=row["channel"],
        contact_id=row["contact"],
        who=who,
        contact_removed=removed,
        identity_check=row["identity_check"],
        received_on=as_date(row["received_on"]),
        due_on=as_date(extended_to or row["due_on"]),
        extended=extended_to is not None,
        extension_reason=row["extension_reason"],
        status=row["status"],
        remove_after=optional_utc(row["remove_after"]),
        handler_name=row["handler_name"],
        closed_at=optional_utc(row["closed_at"]),
    )


async def list_requests(*, open_only: bool, page: PageRequest | None = None) -> Page[RequestSummary]:
    """A page of the open requests soonest due first, or of every request newest first."""
    page = page or PageRequest(size=REGISTER_PAGE_SIZE)
    where, arguments = ("WHERE r.status NOT IN ({}, {})", CLOSED) if open_only else ("", ())
    order = "COALESCE(r.extended_to, r.due_on), r.id" if open_only else "r.id DESC"
    [counted] = await PrivacyRequest.raw(
        f"SELECT COUNT(*) AS total FROM privacy_request r {where}", *arguments
    )
    shown = page.within(counted["total"])
    rows = await PrivacyRequest.raw(
        f"SELECT {REQUEST_COLUMNS} {REQUEST_FROM} {where} ORDER BY {order} LIMIT {{}} OFFSET {{}}",
        *arguments,
        shown.size,
        shown.offset,
    )
    return shown.page([summary_from_row(row) for row in rows], counted["total"])


async def due_requests(today: date) -> list[RequestSummary]:
    """Open requests overdue or due within the week, soonest first (the dashboard, the daily e-mail).
    Every open request is read: the law closes each within months, so they stay few."""
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    rows = await PrivacyRequest.raw(
        f"SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE r.status NOT IN ({{}}, {{}}) "
        "ORDER BY COALESCE(r.extended_to, r.due_on), r.id",
        *CLOSED,
    )
    return [request for request in map(summary_from_row, rows) if request.due_on <= horizon]


async def get_request(request_id: int) -> RequestSummary | None:
    rows = await PrivacyRequest.raw(f"SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE r.id = {{}}", request_id)
    if not rows:
        return None
    request = summary_from_row(rows[0])
    actions = await RequestAction.raw(
        "SELECT a.action, a.detail, a.at, s.name FROM request_action a LEFT JOIN staff_user s "
        "ON s.id = a.actor WHERE a.request = {} ORDER BY a.at, a.id",
        request_id,
    )
    request.actions.extend(
        Action(row["action"], row["detail"], row["name"], as_utc(row["at"])) for row in actions
    )
    return request


async def contact_requests(contact_id: int) -> list[RequestSummary]:
    """A contact's own requests, oldest first, with their actions (for their access export)."""
    rows = await PrivacyRequest.select(PrivacyRequest.id).where(PrivacyRequest.contact == contact_id)
    found = [await get_request(row["id"]) for row in sorted(rows, key=lambda row: row["id"])]
    return [request for request in found if request is not None]


async def note_action(
    request_id: int, action: str, *, actor_id: int | None, now: datetime, detail: str = ""
) -> None:
    """Record something done on a request; staff who act become its handler. In the caller's
    transaction, if one is open."""
    await RequestAction.insert(
        RequestAction(request=request_id, action=action, detail=detail[:MAX_TEXT], actor=actor_id, at=now)
    )
    if actor_id is not None:
        await PrivacyRequest.update({PrivacyRequest.handler: actor_id}).where(PrivacyRequest.id == request_id)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request as staff log it from a letter, call, visit or e-mail."""

    kind: str
    channel: str
    contact_id: int | None
    requester: str
    identity_check: str
    received_on: date


async def open_request(
    *,
    kind: RequestKind,
    channel: RequestChannel,
    contact_id: int | None,
    requester: str = "",
    identity_check: str,
    received_on: date,
    actor_id: int | None,
    ip: str,
    now: datetime,
) -> int:
    """Add a request to the register and audit it; in the caller's transaction."""
    [row] = await PrivacyRequest.insert(
        PrivacyRequest(
            kind=kind.value,
            channel=channel.value,
            contact=contact_id,
            requester=requester[:MAX_TEXT],
            identity_check=identity_check[:MAX_TEXT],
            received_on=received_on,
            due_on=due_date(received_on),
            status=RequestStatus.OPEN.value,
            handler=actor_id,
            created_at=now,
        )
    ).returning(PrivacyRequest.id)
    await audit.record(
        "privacy_request.received",
        actor_id=actor_id,
        ip=ip,
        object_type="privacy_request",
        object_id=row["id"],
        detail={"kind": kind.value, "channel": channel.value, "contact": contact_id},
    )
    return row["id"]


def request_problems(new: NewRequest, now: datetime) -> dict[str, str]:
    """What is wrong with a request as staff typed it, by field; empty when it can be logged."""
    problems = {}
    if new.kind not in {kind.value for kind in RequestKind}:
        problems["kind"] = "Choose what the person asked for."
    if new.channel not in {channel.value for channel in RequestChannel} - {RequestChannel.CENTRE.value}:
        problems["channel"] = "Choose how the request arrived."
    if new.contact_id is None and not new.requester.strip():
        problems["requester"] = "Choose the contact, or write the name and address the person gave."
    if not new.identity_check.strip():
        problems["identity_check"] = "Say how you checked that the request comes from the person."
    if new.received_on > now.date():
        problems["received_on"] = "The day it was received cannot be in the future."
    return problems


async def log_request(new: NewRequest, *, actor_id: int, ip: str, now: datetime) -> int:
    """Log a request staff received. Raises RequestRefused with a problem per field."""
    problems = request_problems(new, now)
    if new.contact_id is not None and not problems:
        try:
            await live_contact(new.contact_id)
        except ContactGone:
            problems["contact"] = "That contact does not exist or was removed."
    if problems:
        raise RequestRefused(problems)
    async with write_transaction():
        return await open_request(
            kind=RequestKind(new.kind),
            channel=RequestChannel(new.channel),
            contact_id=new.contact_id,
            requester=new.requester.strip(),
            identity_check=new.identity_check.strip(),
            received_on=new.received_on,
            actor_id=actor_id,
            ip=ip,
            now=now,
        )


async def open_or_refuse(request_id: int) -> RequestSummary:
    request = await get_request(request_id)
    if request is None:
        raise LookupError(request_id)
    if not request.open:
        raise RequestRefused("This request is closed; nothing was changed.")
    return request


async def extend_request(
    request_id: int, months_text: str, reason: str, *, actor_id: int, ip: str, now: datetime
) -> date:
    """Extend the deadline once by one or two months, with a reason; returns the new deadline.
    A second extension is refused: Art. 12(3) allows one."""
    problems = {}
    months = int(months_text) if months_text in {"1", "2"} else 0
    if not months:
        problems["months"] = f"Choose one or {LONGEST_EXTENSION_MONTHS} months."
    if not reason.strip():
        problems["reason"] = "Write why more time is needed; the person must be told the reason."
    if problems:
        raise RequestRefused(problems)
    request = await open_or_refuse(request_id)
    new_due = extended_due_date(request.received_on, months)
    async with write_transaction():
        extended = (
            await PrivacyRequest.update(
                {
                    PrivacyRequest.extended_to: new_due,
                    PrivacyRequest.extension_reason: reason.strip()[:MAX_TEXT],
                }
            )
            .where((PrivacyRequest.id == request_id) & PrivacyRequest.extended_to.is_null())
            .returning(PrivacyRequest.id)
        )
        if not extended:
            raise RequestRefused(
                "The deadline was extended before; it can be extended only once. Nothing was changed.",
                "months",
            )
        await note_action(
            request_id, "extended", actor_id=actor_id, now=now, detail=f"Due {new_due.isoformat()}: {reason}"
        )
        await audit.record(
            "privacy_request.extended",
            actor_id=actor_id,
            ip=ip,
            object_type="privacy_request",
            object_id=request_id,
            detail={"due_on": new_due.isoformat(), "months": months},
        )
    return new_due


async def close_request(
    request_id: int, outcome: str, detail: str, *, actor_id: int, ip: str, now: datetime
) -> None:
    """Mark a request done or refused, saying what was sent to the person (or why it was refused)."""
    if outcome not in (RequestStatus.DONE, RequestStatus.REFUSED):
        raise RequestRefused("Choose done or refused.", "outcome")
    if not detail.strip():
        raise RequestRefused(
            "Write what was sent to the person, and how, or why the request was refused.", "close_detail"
        )
    await open_or_refuse(request_id)
    async with write_transaction():
        closed = (
            await PrivacyRequest.update(
                {
                    PrivacyRequest.status: outcome,
                    PrivacyRequest.closed_at: now,
                    PrivacyRequest.handler: actor_id,
                }
            )
            .where((PrivacyRequest.id == request_id) & one_of(PrivacyRequest.status, ["open", "scheduled"]))
            .returning(PrivacyRequest.id)
        )
        if not closed:
            raise RequestRefused("This request is closed; nothing was changed.")
        await note_action(request_id, f"closed_{outcome}", actor_id=actor_id, now=now, detail=detail.strip())
        await audit.record(
            "privacy_request.closed",
            actor_id=actor_id,
            ip=ip,
            object_type="privacy_request",
            object_id=request_id,
            detail={"outcome": outcome},
        )


async def record_reply(request_id: int, detail: str, *, actor_id: int, now: datetime) -> None:
    """Note what was sent to the person, and when, without closing the request."""
    if not detail.strip():
        raise RequestRefused("Write what was sent, and how.", "detail")
    await open_or_refuse(request_id)
    await note_action(request_id, "sent", actor_id=actor_id, now=now, detail=detail.strip())


async def request_contact(request_id: int) -> tuple[RequestSummary, int]:
    """The open request and its live contact's id; refused when it names none or they were removed."""
    request = await open_or_refuse(request_id)
    if request.contact_id is None:
        raise RequestRefused("Link this request to a contact first: it names nobody we hold.")
    if request.contact_removed:
        raise RequestRefused("This contact was removed before; nothing was changed.")
    return request, request.contact_id


async def record_export(request_id: int, file_format: str, *, actor_id: int, ip: str, now: datetime) -> int:
    """An export made for the request: audited like any export, and noted on the request."""
    _, contact_id = await request_contact(request_id)
    async with write_transaction():
        await note_action(request_id, "exported", actor_id=actor_id, now=now, detail=file_format.upper())
        await audit.record(
            "contact.exported",
            actor_id=actor_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={"format": file_format, "privacy_request": request_id},
        )
    return contact_id


async def correct_details(
    request_id: int, details: ContactDetails, *, actor_id: int, ip: str, now: datetime
) -> list[str]:
    """Correct the contact's details for a rectification; the audit keeps old and new values."""
    _, contact_id = await request_contact(request_id)
    try:
        changed = await update_details(contact_id, details, actor_id=actor_id, ip=ip, now=now)
    except ContactGone:
        raise RequestRefused("This contact was removed before; nothing was changed.") from None
    await note_action(
        request_id, "corrected", actor_id=actor_id, now=now, detail=", ".join(changed) or "nothing changed"
    )
    return changed


async def restrict(request_id: int, *, actor_id: int, ip: str, now: datetime) -> None:
    _, contact_id = await request_contact(request_id)
    try:
        await set_restricted(contact_id, True, actor_id=actor_id, ip=ip, now=now)
    except ContactGone:
        raise RequestRefused("This contact was removed before; nothing was changed.") from None
    await note_action(request_id, "restricted", actor_id=actor_id, now=now)


OBJECTION_WORDING = "The person objected to direct marketing (GDPR 21(2)); recorded by the box office."


async def withdraw_marketing(request_id: int, *, actor_id: int | None, ip: str, now: datetime) -> list[str]:
    """An objection to marketing: every channel the person is opted in on is withdrawn."""
    _, contact_id = await request_contact(request_id)
    withdrawn = [channel for channel, granted in (await consent_status(contact_id)).items() if granted]
    async with write_transaction():
        for channel in withdrawn:
            await record_consent(
                contact_id=contact_id,
                channel=channel,
                granted=False,
                source=ConsentSource.STAFF,
                wording=OBJECTION_WORDING,
                actor_id=actor_id,
                ip=ip,
                now=now,
            )
        await note_action(
            request_id,
            "marketing_withdrawn",
            actor_id=actor_id,
            now=now,
            detail=", ".join(withdrawn) or "none",
        )
    return withdrawn


async def last_performance_start(contact_id: int, now: datetime) -> datetime | None:
    """When the last performance the contact holds valid tickets for starts, if it is still to come."""
    rows = await Contact.raw(
        'SELECT MAX(p.starts_at) AS last_start FROM ticket k JOIN "order" o ON o.id = k."order" '
        "JOIN performance p ON p.id = k.performance "
        "WHERE o.contact = {} AND k.status = 'valid' AND p.starts_at > {}",
        contact_id,
        now,
    )
    return optional_utc(rows[0]["last_start"]) if rows else None


async def remove(request_id: int, *, actor_id: int | None, ip: str, now: datetime) -> None:
    """Remove the contact now, and close the erasure request as done."""
    _, contact_id = await request_contact(request_id)
    try:
        await erase_contact(contact_id, actor_id=actor_id, ip=ip, now=now)
    except (AlreadyRemoved, LookupError):
        raise RequestRefused("This contact was removed before; nothing was changed.") from None
    async with write_transaction():
        await PrivacyRequest.update(
            {PrivacyRequest.status: RequestStatus.DONE.value, PrivacyRequest.closed_at: now}
        ).where(PrivacyRequest.id == request_id)
        await note_action(request_id, "removed", actor_id=actor_id, now=now)


async def remove_after_last_performance(
    request_id: int, *, actor_id: int, ip: str, now: datetime
) -> datetime:
    """Schedule the removal for the day after the contact's last performance; the worker does it."""
    _, contact_id = await request_contact(request_id)
    last = await last_performance_start(contact_id, now)
    if last is None:
        raise RequestRefused("This person holds no tickets for a performance still to come: remove them now.")
    when = last + timedelta(days=1)
    await schedule_removal(request_id, when, actor_id=actor_id, now=now)
    await audit.record(
        "privacy_request.removal_scheduled",
        actor_id=actor_id,
        ip=ip,
        object_type="privacy_request",
        object_id=request_id,
        detail={"remove_after": when.isoformat()},
    )
    return when


async def schedule_removal(request_id: int, when: datetime, *, actor_id: int | None, now: datetime) -> None:
    async with write_transaction():
        await PrivacyRequest.update(
            {PrivacyRequest.status: RequestStatus.SCHEDULED.value, PrivacyRequest.remove_after: when}
        ).where(PrivacyRequest.id == request_id)
        await note_action(
            request_id, "removal_scheduled", actor_id=actor_id, now=now, detail=when.isoformat()
        )


async def auto_erasure_days() -> int:
    row = await SiteSetting.select(SiteSetting.value).where(SiteSetting.key == AUTO_ERASURE_KEY).first()
    text = row["value"] if row else ""
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else AUTO_ERASURE_RULE.default
    return number if AUTO_ERASURE_RULE.allows(number) else AUTO_ERASURE_RULE.default


async def save_auto_erasure_days(text: str, *, actor_id: int, ip: str, now: datetime) -> None:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) < 4 and AUTO_ERASURE_RULE.allows(int(text))):
        raise SettingsRefused({"auto_erasure_days": AUTO_ERASURE_RULE.message})
    async with write_transaction():
        await store_site_setting(AUTO_ERASURE_KEY, str(int(text)), actor_id=actor_id, now=now)
        await audit.record(
            "settings.privacy_updated",
            actor_id=actor_id,
            ip=ip,
            object_type="privacy_settings",
            detail={"auto_erasure_days": int(text)},
        )


async def remove_scheduled(now: datetime) -> int:
    """The worker's part: carry out the removals whose time has come; how many were done."""
    rows = await PrivacyRequest.select(PrivacyRequest.id).where(
        (PrivacyRequest.status == RequestStatus.SCHEDULED) & (PrivacyRequest.remove_after <= now)
    )
    done = 0
    for row in rows:
        try:
            await remove(row["id"], actor_id=None, ip="", now=now)
            done += 1
        except RequestRefused:  # removed meanwhile by staff: the request is closed as done
            async with write_transaction():
                await PrivacyRequest.update(
                    {PrivacyRequest.status: RequestStatus.DONE.value, PrivacyRequest.closed_at: now}
                ).where(PrivacyRequest.id == row["id"])
                await note_action(row["id"], "already_removed", actor_id=None, now=now)
    return done


async def staff_to_remind() -> list[str]:
    """The e-mail addresses of active staff whose role holds CRM > Privacy requests."""
    rows = await StaffUser.select(StaffUser.email, StaffUser.role.permissions.as_alias("permissions")).where(
        StaffUser.active.eq(True) & StaffUser.suspended.eq(False)
    )
    return sorted(
        row["email"] for row in rows if holds(deserialise(row["permissions"]), Perm.CRM_PRIVACY_REQUESTS)
    )


async def claim_today(today: date, now: datetime) -> bool:
    """Whether this worker is the one to send today's reminder: the first to write today's date wins."""
    async with write_transaction():
        existing = await SiteSetting.select(SiteSetting.value).where(SiteSetting.key == DIGEST_KEY).first()
        if existing is None:
            await SiteSetting.insert(SiteSetting(key=DIGEST_KEY, value=today.isoformat(), updated_at=now))
            return True
        claimed = (
            await SiteSetting.update({SiteSetting.value: today.isoformat(), SiteSetting.updated_at: now})
            .where((SiteSetting.key == DIGEST_KEY) & (SiteSetting.value != today.isoformat()))
            .returning(SiteSetting.id)
        )
        return bool(claimed)


async def send_due_digest(now: datetime, base_url: str) -> int:
    """Once a day, queue to each member of staff who handles privacy requests the list of those overdue
    or due this week; how many messages were queued (none when nothing is due)."""
    today = now.date()
    due = await due_requests(today)
    if not due or not await claim_today(today, now):
        return 0
    text, html = render_email(
        "privacy_requests_due",
        {
            "overdue": [request for request in due if request.overdue(today)],
            "due_soon": [request for request in due if not request.overdue(today)],
            "kind_labels": KIND_LABELS,
            "register_url": f"{base_url}/crm/privacy-requests",
            "today": today,
        },
    )
    recipients = await staff_to_remind()
    async with write_transaction():
        for recipient in recipients:
            await queue_email(
                Email(
                    recipient=recipient,
                    subject=f"Privacy requests due: {len(due)}",
                    text=text,
                    html=html,
                    kind="privacy_requests_due",
                )
            )
    return len(recipients)


async def run_privacy_duties(now: datetime, base_url: str) -> None:
    """The worker's round: scheduled removals, then the day's reminder."""
    removed = await remove_scheduled(now)
    if removed:
        log.info("removed %s contacts whose erasure was scheduled", removed)
    await send_due_digest(now, base_url)

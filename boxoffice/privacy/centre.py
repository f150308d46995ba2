"""The privacy centre ("Your data and preferences"): the public page where people sign in with a link
sent to their e-mail address, see what the venue holds about them, change their marketing consent,
correct their details and ask for erasure or restriction, without an account.

What must stay true:
- Asking for a link answers the same, and does the same work in the database, whether the address is
  known or not: a link row is written either way (an unknown address's names nobody and can sign
  nobody in), and only a known address is e-mailed. Requests are limited per address and per IP
  address, counted before anything else is read, so a flood learns nothing either.
- A link works once, for `LINK_MINUTES`, and only the SHA-256 digest of its secret is stored; so is
  the session it becomes, held by the browser in a cookie for `SESSION_MINUTES`. Opening a link
  changes nothing (mail scanners open every link): the person presses a button to sign in.
- Using a link ends the session the browser held before, whoever it was for: one browser is never
  signed in as two people, and a link from another person's e-mail shows that person's data only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from boxoffice.auth import audit
from boxoffice.crm.contacts import ContactDetails, details_from_form
from boxoffice.crm.records import live_contact, set_restricted, update_details
from boxoffice.crm.tables import Contact
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.templates import PRIVACY_CENTRE_PATH, render_email
from boxoffice.marketing.consent import consent_status, record_consent
from boxoffice.marketing.tables import Channel, ConsentSource
from boxoffice.privacy import requests
from boxoffice.privacy.tables import (
    CentreSignIn,
    LinkRequest,
    PrivacyRequest,
    RequestChannel,
    RequestKind,
    RequestStatus,
)

LINK_MINUTES = 30
SESSION_MINUTES = 60
RATE_WINDOW = timedelta(hours=1)
LINKS_PER_ADDRESS = 5  # in RATE_WINDOW
LINKS_PER_IP = 20  # in RATE_WINDOW
KEPT_FOR = timedelta(days=1)  # used and lapsed links, and counted requests, are swept after this
MAX_EMAIL_LENGTH = 254

# The words beside each tick box of the consent form, recorded word for word in the consent ledger.
CONSENT_WORDING = {
    Channel.EMAIL: "Send me news of shows and offers by e-mail.",
    Channel.POST: "Send me news of shows and offers by post.",
    Channel.PHONE: "Call me about shows and offers.",
}
LINK_ANSWER = (
    "If we hold details for that address, we have sent it a link to sign in. It works once, for "
    f"{LINK_MINUTES} minutes. Nothing arrived? Check your spam folder, or ask again in a few minutes."
)


class LinkRefused(Refused):
    """No link was sent; the message says why, without saying whether the address is known."""


class LinkUnusable(Refused):
    """The link is unknown, used or expired: one answer for all three, so nothing is revealed."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def address_digest(key: str, email: str) -> str:
    """The address as the rate limit counts it: keyed, so the table names nobody."""
    return hmac.new(key.encode(), email.encode(), hashlib.sha256).hexdigest()


def normalised_email(text: str) -> str:
    email = text.strip().lower()
    local, at, domain = email.partition("@")
    if (
        not (local and at and "." in domain.strip("."))
        or len(email) > MAX_EMAIL_LENGTH
        or any(character.isspace() for character in email)
    ):
        raise LinkRefused("Enter an e-mail address such as name@example.org.", "email")
    return email


async def request_link(email_text: str, *, ip: str, now: datetime, key: str, base_url: str) -> None:
    """Send a sign-in link to the address if we know it, within the rate limits; the same answer (none)
    either way. Raises LinkRefused for an address that is not one, or too many requests."""
    email = normalised_email(email_text)
    hashed_address = address_digest(key, email)
    secret = secrets.token_urlsafe(32)
    link = f"{base_url}{PRIVACY_CENTRE_PATH}/sign-in/{secret}"
    text, html = render_email("privacy_sign_in", {"link": link, "minutes": LINK_MINUTES})
    async with write_transaction():
        since = now - RATE_WINDOW
        by_address = await LinkRequest.count().where(
            (LinkRequest.address_digest == hashed_address) & (LinkRequest.requested_at > since)
        )
        by_ip = await LinkRequest.count().where((LinkRequest.ip == ip) & (LinkRequest.requested_at > since))
        if by_address >= LINKS_PER_ADDRESS or by_ip >= LINKS_PER_IP:
            raise LinkRefused(
                "You have asked for several links in a short time. Use the latest link we sent, or try "
                "again in an hour.",
                "email",
            )
        await LinkRequest.insert(LinkRequest(address_digest=hashed_address, ip=ip[:45], requested_at=now))
        contact = (
            await Contact.select(Contact.id)
            .where((Contact.email == email) & Contact.erased_at.is_null())
            .first()
        )
        await CentreSignIn.insert(
            CentreSignIn(
                contact=contact["id"] if contact else None,
                link_digest=digest(secret),
                link_expires_at=now + timedelta(minutes=LINK_MINUTES),
            )
        )
        if contact:
            await queue_email(
                Email(
                    recipient=email,
                    subject="Your link to your data and preferences",
                    text=text,
                    html=html,
                    kind="privacy_sign_in",
                )
            )
        await LinkRequest.delete().where(LinkRequest.requested_at < now - KEPT_FOR)
        await CentreSignIn.delete().where(
            (CentreSignIn.link_expires_at < now - KEPT_FOR)
            & (CentreSignIn.session_expires_at.is_null() | (CentreSignIn.session_expires_at < now))
        )


async def sign_in(secret: str, *, previous_session: str, now: datetime) -> str:
    """Use a link: it becomes a session, whose secret is returned for the browser's cookie. The
    session the browser held before ends. Raises LinkUnusable."""
    session = secrets.token_urlsafe(32)
    async with write_transaction():
        if previous_session:
            await end_session(previous_session)
        used = (
            await CentreSignIn.update(
                {
                    CentreSignIn.used_at: now,
                    CentreSignIn.session_digest: digest(session),
                    CentreSignIn.session_expires_at: now + timedelta(minutes=SESSION_MINUTES),
                }
            )
            .where(
                (CentreSignIn.link_digest == digest(secret[:100]))
                & CentreSignIn.used_at.is_null()
                & (CentreSignIn.link_expires_at > now)
                & CentreSignIn.contact.is_not_null()
            )
            .returning(CentreSignIn.contact)
        )
    if not used:
        raise LinkUnusable(
            "This link cannot be used: it has expired, it was used already, or it was not one of ours. "
            "Ask for a new link below."
        )
    return session


async def signed_in_contact(session: str, now: datetime) -> int | None:
    """The live contact this browser's session belongs to, or None."""
    if not session or len(session) > 100:
        return None
    row = (
        await CentreSignIn.select(CentreSignIn.contact)
        .where(
            (CentreSignIn.session_digest == digest(session))
            & (CentreSignIn.session_expires_at > now)
            & CentreSignIn.contact.erased_at.is_null()
        )
        .first()
    )
    return row["contact"] if row else None


async def end_session(session: str) -> None:
    if session and len(session) <= 100:
        await CentreSignIn.update(
            {CentreSignIn.session_expires_at: None, CentreSignIn.session_digest: None}
        ).where(CentreSignIn.session_digest == digest(session))


async def record_export(contact_id: int, file_format: str, *, ip: str) -> None:
    """The person downloaded their own data: audited as staff exports are, with no staff member."""
    await audit.record(
        "contact.exported",
        actor_id=None,
        ip=ip,
        object_type="contact",
        object_id=contact_id,
        detail={"format": file_format, "by": "privacy_centre"},
    )


async def set_consent(contact_id: int, chosen: set[str], *, ip: str, now: datetime) -> list[str]:
    """Record, for each channel whose answer changed, the person's choice in the consent ledger with
    the words they saw; returns the channels changed."""
    current = await consent_status(contact_id)
    changed = [channel.value for channel in Channel if (channel.value in chosen) != current[channel.value]]
    async with write_transaction():
        for channel in changed:
            await record_consent(
                contact_id=contact_id,
                channel=channel,
                granted=channel in chosen,
                source=ConsentSource.PRIVACY_CENTRE,
                wording=CONSENT_WORDING[Channel(channel)],
                ip=ip,
                now=now,
            )
    return changed


CORRECTABLE = ("first_name", "last_name", "phone", "postcode")


async def correct_details(contact_id: int, form: dict[str, str], *, ip: str, now: datetime) -> list[str]:
    """The person corrects their name, phone or postcode (not the address they sign in with): audited
    as staff corrections are, and kept in the register as a rectification done at once."""
    contact = await live_contact(contact_id)
    typed = details_from_form(
        {**{name: form.get(name, "") for name in CORRECTABLE}, "email": contact["email"]}
    )
    details = ContactDetails(typed.first_name, typed.last_name, contact["email"], typed.phone, typed.postcode)
    changed = await update_details(contact_id, details, actor_id=None, ip=ip, now=now)
    if changed:
        async with write_transaction():
            request_id = await centre_request(RequestKind.RECTIFICATION, contact_id, ip=ip, now=now)
            await requests.note_action(
                request_id, "corrected", actor_id=None, now=now, detail=", ".join(changed)
            )
            await close_done(request_id, now)
    return changed


async def centre_request(kind: RequestKind, contact_id: int, *, ip: str, now: datetime) -> int:
    return await requests.open_request(
        kind=kind,
        channel=RequestChannel.CENTRE,
        contact_id=contact_id,
        identity_check=requests.CENTRE_IDENTITY_CHECK,
        received_on=now.date(),
        actor_id=None,
        ip=ip,
        now=now,
    )


async def close_done(request_id: int, now: datetime) -> None:
    await PrivacyRequest.update(
        {PrivacyRequest.status: RequestStatus.DONE.value, PrivacyRequest.closed_at: now}
    ).where(PrivacyRequest.id == request_id)


async def ask_for_restriction(contact_id: int, *, ip: str, now: datetime) -> None:
    """Restrict processing at once (it only ever holds back), recorded as a request done."""
    await set_restricted(contact_id, True, actor_id=None, ip=ip, now=now)
    async with write_transaction():
        request_id = await centre_request(RequestKind.RESTRICTION, contact_id, ip=ip, now=now)
        await requests.note_action(request_id, "restricted", actor_id=None, now=now)
        await close_done(request_id, now)


@dataclass(frozen=True, slots=True)
class ErasureAnswer:
    waits_for_staff: bool  # they hold tickets for a performance to come, or the venue removes by hand
    remove_after: datetime | None  # when the worker removes them, when it will


async def open_erasure_request(contact_id: int) -> bool:
    return await PrivacyRequest.exists().where(
        (PrivacyRequest.contact == contact_id)
        & (PrivacyRequest.kind == RequestKind.ERASURE)
        & PrivacyRequest.status.is_in([RequestStatus.OPEN, RequestStatus.SCHEDULED])
    )


async def ask_for_erasure(contact_id: int, *, ip: str, now: datetime) -> ErasureAnswer:
    """Register the person's erasure request. It waits for staff when they hold tickets for a
    performance to come (staff decide: now, or after it), or when the venue removes by hand; otherwise
    the worker removes them after the cooling-off period the venue chose. Raises Refused when one is
    already waiting."""
    await live_contact(contact_id)
    if await open_erasure_request(contact_id):
        raise Refused("You have asked already; your request is with the box office.")
    future = await requests.last_performance_start(contact_id, now)
    days = await requests.auto_erasure_days()
    async with write_transaction():
        request_id = await centre_request(RequestKind.ERASURE, contact_id, ip=ip, now=now)
    if future is not None or days == 0:
        return ErasureAnswer(waits_for_staff=True, remove_after=None)
    when = now + timedelta(days=days)
    await requests.schedule_removal(request_id, when, actor_id=None, now=now)
    return ErasureAnswer(waits_for_staff=False, remove_after=when)

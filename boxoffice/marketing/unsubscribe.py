"""Unsubscribing from marketing e-mail without signing in: signed links, one-click (RFC 8058), opting back in.

Every marketing e-mail carries a personal link `/unsubscribe/<token>`. The token names the contact and
the campaign and when it stops working, signed with HMAC-SHA256 under a key derived from the app's
secret key, so it cannot be made or altered without that key; nothing about it is stored.

Tokens work for `TOKEN_LIFETIME` (a year) after the message was queued: CAN-SPAM asks for at least 30
days and people unsubscribe from old newsletters they find months later. After that, or if the secret
key changes, the link says it no longer works and points to the box office; a tampered or expired token
changes nothing.

Opening the link changes nothing: mail security scanners open every link in a message, and must not
unsubscribe people who never clicked. The page it opens has one Unsubscribe button (no login, no other
step), a plain form that POSTs to the link's own address, as mail programs' RFC 8058 one-click button
does. Either writes one "withdrawn" consent record (source "unsubscribe link", with time and address)
only if the contact is opted in at that moment, so a replayed or repeated request adds nothing. The
page then offers to opt back in, which is recorded as a fresh opt-in under the venue's current online
marketing question.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from piccolo.engine.postgres import PostgresEngine

from boxoffice.auth import audit
from boxoffice.crm.tables import Contact
from boxoffice.db import current_engine, write_transaction
from boxoffice.errors import Refused
from boxoffice.marketing.consent import consent_status, record_consent
from boxoffice.marketing.questions import current_question
from boxoffice.marketing.tables import Campaign, CampaignRecipient, Channel, ConsentSource, QuestionKind

TOKEN_LIFETIME = timedelta(days=365)
TEST_SEND_CONTACT = 0  # the contact id in the links of test sends to staff: they unsubscribe nobody
KEY_PURPOSE = b"boxoffice unsubscribe link v1"


def signing_key(secret_key: str) -> bytes:
    """A key for these tokens alone, so that no other signature made with the secret key can pass."""
    return hmac.new(secret_key.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class UnsubscribeToken:
    contact_id: int
    campaign_id: int
    expires_at: datetime


def make_token(secret_key: str, *, contact_id: int, campaign_id: int, now: datetime) -> str:
    expires = int((now + TOKEN_LIFETIME).timestamp())
    payload = f"{contact_id}.{campaign_id}.{expires}".encode()
    signature = hmac.new(signing_key(secret_key), payload, hashlib.sha256).digest()
    return f"{encode(payload)}.{encode(signature)}"


class TokenRefused(Refused):
    """The token is not one we signed, or it has expired; `expired` tells which."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "not valid")
        self.expired = expired


def read_token(secret_key: str, token: str, now: datetime) -> UnsubscribeToken:
    """The token's contents if we signed it and it has not expired, else TokenRefused."""
    payload_text, _, signature_text = token.partition(".")
    try:
        payload, signature = decode(payload_text), decode(signature_text)
    except ValueError:
        raise TokenRefused(expired=False) from None
    expected = hmac.new(signing_key(secret_key), payload, hashlib.sha256).digest()
    if not signature or not hmac.compare_digest(signature, expected):
        raise TokenRefused(expired=False)
    contact, campaign, expires = (int(part) for part in payload.decode().split("."))
    token_contents = UnsubscribeToken(contact, campaign, datetime.fromtimestamp(expires, UTC))
    if token_contents.expires_at <= now:
        raise TokenRefused(expired=True)
    return token_contents


class Outcome(StrEnum):
    OPTED_OUT = "opted_out"  # a withdrawn record was written now
    ALREADY_OUT = "already_out"  # nothing to change
    OPTED_IN = "opted_in"  # a fresh grant was written now
    ALREADY_IN = "already_in"
    REMOVED = "removed"  # the contact has been removed: we hold nothing to change
    TEST_SEND = "test_send"  # a staff test message: nobody to change


def wording_for(*, one_click: bool, subject: str) -> str:
    how = (
        "Used one-click unsubscribe in their mail program"
        if one_click
        else "Pressed Unsubscribe on the page of the unsubscribe link"
    )
    return f"{how} in the marketing e-mail “{subject}”."


async def contact_row(contact_id: int, *, lock: bool) -> dict | None:
    """The contact's row; with `lock`, locked until the transaction ends on PostgreSQL (SQLite's write
    lock is already held), so that two requests at once cannot both find the contact opted in."""
    query = Contact.select(Contact.id, Contact.erased_at, Contact.merged_into).where(Contact.id == contact_id)
    if lock and isinstance(current_engine(), PostgresEngine):
        query = query.lock_rows("UPDATE")
    return await query.first()


MERGES_FOLLOWED = 20  # more merges in a row than any venue makes; a loop in the records ends here


async def live_contact_id(contact_id: int, *, lock: bool) -> int | None:
    """The id of the live contact the token's contact is now (its row locked with `lock`, see
    `contact_row`): the contact itself, or the one it was merged into since the e-mail went out (through
    any number of merges). None once the person has been removed."""
    for _ in range(MERGES_FOLLOWED):
        contact = await contact_row(contact_id, lock=lock)
        if contact is None:
            return None
        if contact["erased_at"] is None:
            return contact_id
        if contact["merged_into"] is None:
            return None
        contact_id = contact["merged_into"]
    return None


async def current_standing(token: UnsubscribeToken) -> Outcome:
    """Where the token's contact stands, for the page the link opens. Only reads: mail security
    scanners open every link in a message, so opening one must change nothing."""
    if token.contact_id == TEST_SEND_CONTACT:
        return Outcome.TEST_SEND
    contact_id = await live_contact_id(token.contact_id, lock=False)
    if contact_id is None:
        return Outcome.REMOVED
    return Outcome.ALREADY_IN if (await consent_status(contact_id))[Channel.EMAIL] else Outcome.ALREADY_OUT


async def opt_out(token: UnsubscribeToken, *, one_click: bool, ip: str, now: datetime) -> Outcome:
    """Withdraw the token's contact's e-mail consent, once; mark the campaign's recipient unsubscribed."""
    if token.contact_id == TEST_SEND_CONTACT:
        return Outcome.TEST_SEND
    async with write_transaction():
        contact_id = await live_contact_id(token.contact_id, lock=True)
        if contact_id is None:
            return Outcome.REMOVED
        await CampaignRecipient.update({CampaignRecipient.unsubscribed_at: now}).where(
            (CampaignRecipient.campaign == token.campaign_id)
            & (CampaignRecipient.contact == token.contact_id)
            & CampaignRecipient.unsubscribed_at.is_null()
        )
        if not (await consent_status(contact_id))[Channel.EMAIL]:
            return Outcome.ALREADY_OUT
        campaign = await Campaign.select(Campaign.subject).where(Campaign.id == token.campaign_id).first()
        record_id = await record_consent(
            contact_id=contact_id,
            channel=Channel.EMAIL,
            granted=False,
            source=ConsentSource.UNSUBSCRIBE_LINK,
            wording=wording_for(one_click=one_click, subject=campaign["subject"] if campaign else ""),
            note=f"campaign {token.campaign_id}" + (", one-click" if one_click else ""),
            ip=ip,
            now=now,
        )
        await audit.record(
            "consent.unsubscribed",
            actor_id=None,
            ip=ip,
            object_type="consent_record",
            object_id=record_id,
            detail={"campaign": token.campaign_id, "one_click": one_click},
        )
    return Outcome.OPTED_OUT


async def opt_back_in(token: UnsubscribeToken, *, ip: str, now: datetime) -> Outcome:
    """Record a fresh e-mail opt-in, in the words of the venue's current online marketing question,
    which the page showed next to the button."""
    if token.contact_id == TEST_SEND_CONTACT:
        return Outcome.TEST_SEND
    question = await current_question(QuestionKind.ONLINE)
    async with write_transaction():
        contact_id = await live_contact_id(token.contact_id, lock=True)
        if contact_id is None:
            return Outcome.REMOVED
        if (await consent_status(contact_id))[Channel.EMAIL]:
            return Outcome.ALREADY_IN
        record_id = await record_consent(
            contact_id=contact_id,
            channel=Channel.EMAIL,
            granted=True,
            source=ConsentSource.UNSUBSCRIBE_LINK,
            question=question,
            note=f"opted back in on the unsubscribe page of campaign {token.campaign_id}",
            ip=ip,
            now=now,
        )
        await audit.record(
            "consent.resubscribed",
            actor_id=None,
            ip=ip,
            object_type="consent_record",
            object_id=record_id,
            detail={"campaign": token.campaign_id, "question_kind": QuestionKind.ONLINE.value},
        )
    return Outcome.OPTED_IN


async def opt_in_wording() -> str:
    return (await current_question(QuestionKind.ONLINE)).text

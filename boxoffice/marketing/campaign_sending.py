"""The messages of a campaign and the worker that releases them. Once `campaigns.start_sending` has fixed
the recipients, `release_due_messages` takes the next few pending ones and, in one transaction, checks
each is still opted in (and not restricted or removed), reads their address, queues their message in the
outbox and marks them queued: a worker killed at any moment leaves each recipient either pending (to be
released after the restart) or queued exactly once, and the outbox sends each message at most once (one
whose worker died while handing it to SMTP is reported `uncertain`, not sent again). The throttle lives
here too: messages are released at `campaign_rate_per_minute` across all campaigns, one campaign at a
time, oldest first, with the time of the next release kept on the campaign row, so the pace holds across
restarts and across several workers, and order confirmations queued meanwhile never wait behind a long
campaign.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.engine.postgres import PostgresEngine

from boxoffice.auth import audit
from boxoffice.crm.tables import Contact
from boxoffice.db import as_utc, current_engine, write_transaction
from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.templates import PRIVACY_CENTRE_PATH, render_email
from boxoffice.marketing.audience import reachable_condition
from boxoffice.marketing.campaigns import CampaignSummary, get_campaign
from boxoffice.marketing.tables import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from boxoffice.marketing.unsubscribe import TEST_SEND_CONTACT, make_token

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 2.0
MESSAGE_KIND = "campaign"
TEST_MESSAGE_KIND = "campaign_test"


@dataclass(frozen=True, slots=True)
class MailSettings:
    """What a campaign message needs from the settings: where links point and what signs them."""

    base_url: str
    secret_key: str


def campaign_email(
    campaign: CampaignSummary, *, recipient: str, contact_id: int, mail: MailSettings, now: datetime
) -> Email:
    """The message for one recipient, with their own unsubscribe link in the body and in the
    List-Unsubscribe headers (RFC 2369 and RFC 8058's one-click POST)."""
    token = make_token(mail.secret_key, contact_id=contact_id, campaign_id=campaign.id, now=now)
    unsubscribe_url = f"{mail.base_url}/unsubscribe/{token}"
    text, html = render_email(
        "campaign",
        {
            "body_markdown": campaign.body_markdown.strip(),
            "body_html": campaign.body_html,
            "unsubscribe_url": unsubscribe_url,
            "privacy_centre_url": mail.base_url + PRIVACY_CENTRE_PATH,
            "test_send": contact_id == TEST_SEND_CONTACT,
        },
    )
    return Email(
        recipient=recipient,
        subject=campaign.subject,
        text=text,
        html=html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        kind=TEST_MESSAGE_KIND if contact_id == TEST_SEND_CONTACT else MESSAGE_KIND,
        at_most_once=True,  # a marketing message twice is worse than once too few
    )


async def send_test(
    campaign_id: int, *, staff_id: int, staff_email: str, mail: MailSettings, ip: str, now: datetime
) -> int:
    """Queue the campaign to the staff member alone, as recipients will see it; its unsubscribe link
    unsubscribes nobody. Returns the outbox id."""
    campaign = await get_campaign(campaign_id)
    if campaign is None:
        raise LookupError(campaign_id)
    email = campaign_email(campaign, recipient=staff_email, contact_id=TEST_SEND_CONTACT, mail=mail, now=now)
    async with write_transaction():
        message_id = await queue_email(email, now)
        await audit.record(
            "campaign.test_sent",
            actor_id=staff_id,
            ip=ip,
            object_type="campaign",
            object_id=campaign_id,
            detail={"message": message_id},
        )
    return message_id


# The worker's side


def release_step(rate_per_minute: int) -> tuple[int, timedelta]:
    """How many messages to release at a time, and how long to wait after each release, so that no more
    than `rate_per_minute` go in any minute: one at a time up to two a second, small groups above."""
    per_release = max(1, rate_per_minute // 120)
    return per_release, timedelta(seconds=60 * per_release / rate_per_minute)


async def claim_release(now: datetime, pause: timedelta) -> int | None:
    """The campaign whose turn it is to release messages now, with its next turn moved `pause` on; None
    when no campaign is due. Only one worker wins a turn: the conditional UPDATE is the claim."""
    row = (
        await Campaign.select(Campaign.id, Campaign.next_release_at)
        .where(Campaign.status == CampaignStatus.SENDING)
        .order_by(Campaign.send_started_at)
        .order_by(Campaign.id)
        .first()
    )
    if row is None or as_utc(row["next_release_at"]) > now:
        return None
    claimed = (
        await Campaign.update({Campaign.next_release_at: now + pause})
        .where(
            (Campaign.id == row["id"])
            & (Campaign.status == CampaignStatus.SENDING)
            & (Campaign.next_release_at <= now)
        )
        .returning(Campaign.id)
    )
    return row["id"] if claimed else None


async def release_due_messages(rate_per_minute: int, mail: MailSettings, now: datetime) -> int:
    """Queue the next messages of the campaign being sent, if its turn has come; returns how many
    recipients were dealt with (queued or skipped). Finishes the campaign when none is left pending."""
    per_release, pause = release_step(rate_per_minute)
    async with write_transaction():
        campaign_id = await claim_release(now, pause)
        if campaign_id is None:
            return 0
        campaign = await get_campaign(campaign_id)
        assert campaign is not None
        pending = (
            CampaignRecipient.select(CampaignRecipient.id, CampaignRecipient.contact)
            .where(
                (CampaignRecipient.campaign == campaign_id)
                & (CampaignRecipient.status == RecipientStatus.PENDING)
            )
            .order_by(CampaignRecipient.id)
            .limit(per_release)
        )
        if isinstance(current_engine(), PostgresEngine):
            pending = pending.lock_rows("UPDATE", skip_locked=True)
        batch = await pending
        if not batch:
            await Campaign.update({Campaign.status: CampaignStatus.SENT, Campaign.finished_at: now}).where(
                (Campaign.id == campaign_id) & (Campaign.status == CampaignStatus.SENDING)
            )
            log.info("campaign %s: every message queued", campaign_id)
            return 0
        where, values = reachable_condition()
        contact_ids = [row["contact"] for row in batch]
        placeholders = ", ".join("{}" for _ in contact_ids)
        reachable = {
            row["id"]: row["email"]
            for row in await Contact.raw(
                f"SELECT id, email FROM contact WHERE id IN ({placeholders}) AND {where}",
                *contact_ids,
                *values,
            )
        }
        for row in batch:
            address = reachable.get(row["contact"])
            changes: dict = {CampaignRecipient.released_at: now}
            if address is None:
                changes[CampaignRecipient.status] = RecipientStatus.SKIPPED
            else:
                email = campaign_email(
                    campaign, recipient=address, contact_id=row["contact"], mail=mail, now=now
                )
                changes[CampaignRecipient.status] = RecipientStatus.QUEUED
                changes[CampaignRecipient.message] = await queue_email(email, now)
            await CampaignRecipient.update(changes).where(CampaignRecipient.id == row["id"])
    log.info("campaign %s: %s recipient(s) released", campaign_id, len(batch))
    return len(batch)


async def run_campaign_sending(
    rate_per_minute: int, mail: MailSettings, *, stop: asyncio.Event, idle_seconds: float = IDLE_POLL_SECONDS
) -> None:
    """The campaign side of `boxoffice worker`: release campaign messages at the configured pace until
    `stop` is set."""
    _, pause = release_step(rate_per_minute)
    while not stop.is_set():
        try:
            released = await release_due_messages(rate_per_minute, mail, datetime.now(UTC))
        except Exception:  # the database may be restarting; the next round tries again
            log.exception("could not release campaign messages")
            released = 0
        wait = pause.total_seconds() if released else idle_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=min(wait, idle_seconds))

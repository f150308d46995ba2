"""Campaigns: write a marketing e-mail, count its audience, try it on yourself, then send it.

Sending happens in two steps, so that a crash can never give anyone the same campaign twice:
1. `start_sending` fixes the audience: one CampaignRecipient row per contact, (campaign, contact) unique,
   written by one INSERT ... SELECT in the same transaction that marks the campaign as sending.
2. The worker's `release_due_messages` takes the next few pending recipients and, in one transaction,
   checks each is still opted in (and not restricted or removed), reads their address, queues their
   message in the outbox and marks them queued. Either all of that lands or none of it does, so a
   worker killed at any moment leaves each recipient either pending (to be released after the restart)
   or queued exactly once. The outbox then sends each message at most once: a message its worker died
   while handing to SMTP is not sent again but reported `uncertain`, as it may have gone out.

The throttle lives in step 2: messages are released at `campaign_rate_per_minute` across all campaigns
(one campaign at a time, oldest first), and the time of the next release is kept on the campaign row, so
the pace holds across restarts and across several workers, and order confirmations queued meanwhile
never wait behind a long campaign.

Bodies are Markdown. Raw HTML is refused with a message when the campaign is saved; what is rendered is
HTML from markdown-it with raw HTML turned off, cleaned again by nh3 to plain formatting and http(s) or
mailto links, so neither script nor event handlers can reach a recipient. The plain-text part is the
Markdown itself, which is written to be read as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from piccolo.engine.postgres import PostgresEngine

from boxoffice.auth import audit
from boxoffice.crm.tables import Contact
from boxoffice.db import as_utc, current_engine, optional_utc, write_transaction
from boxoffice.documents.html import formatting_cleaner
from boxoffice.errors import Refused
from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.tables import OutboxStatus
from boxoffice.mail.templates import render_email
from boxoffice.marketing.audience import AudienceFilter, audience_condition, reachable_condition
from boxoffice.marketing.tables import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Channel,
    RecipientStatus,
)
from boxoffice.marketing.unsubscribe import TEST_SEND_CONTACT, make_token

if TYPE_CHECKING:
    import nh3
    from markdown_it import MarkdownIt

log = logging.getLogger(__name__)

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 50_000
IDLE_POLL_SECONDS = 2.0
MESSAGE_KIND = "campaign"
TEST_MESSAGE_KIND = "campaign_test"


@functools.cache
def body_renderer() -> tuple[MarkdownIt, nh3.Cleaner]:
    """markdown-it and the cleaner for its output, loaded with the first campaign body rendered: the
    processes serving the storefront never render one."""
    from markdown_it import MarkdownIt

    cleaner = formatting_cleaner({
        "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "s", "a",
        "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
    })  # fmt: skip
    return MarkdownIt("js-default"), cleaner  # CommonMark with tables and strikethrough; raw HTML escaped


HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


@functools.lru_cache(maxsize=8)
def render_body(markdown: str, *, top_heading: int = 1) -> str:
    """The body as e-mail HTML: Markdown rendered without raw HTML, then sanitised. `top_heading` is the
    level a `#` heading gets: 1 in the e-mail itself, lower inside a staff page that has its own.
    Remembered: a campaign's body is the same for each of its recipients."""
    markdown_it, cleaner = body_renderer()
    tokens = markdown_it.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + top_heading - 1, 6)}"
    return cleaner.clean(markdown_it.renderer.render(tokens, markdown_it.options, {})).strip()


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """A campaign as staff typed it, tidied: what `save_draft` is asked to store."""

    subject: str
    body_markdown: str
    audience: AudienceFilter


class CampaignRefused(Refused):
    """The campaign cannot be saved or sent as it is."""


def draft_problems(draft: CampaignDraft) -> dict[str, str]:
    problems = {}
    if not draft.subject:
        problems["subject"] = "Enter a subject."
    elif len(draft.subject) > MAX_SUBJECT_LENGTH:
        problems["subject"] = f"Use at most {MAX_SUBJECT_LENGTH} characters for the subject."
    elif any(character in draft.subject for character in "\r\n"):
        problems["subject"] = "Write the subject on one line."  # a line break could add mail headers
    if not draft.body_markdown.strip():
        problems["body_markdown"] = "Write the message."
    elif len(draft.body_markdown) > MAX_BODY_LENGTH:
        problems["body_markdown"] = f"Use at most {MAX_BODY_LENGTH:,} characters for the message."
    else:
        tag = HTML_TAG.search(draft.body_markdown)
        if tag:
            problems["body_markdown"] = (
                f"Write the message in Markdown: HTML such as {tag.group(0)[:40]} is not allowed in e-mails "
                "we send (use **bold**, _italics_, # headings and [links](https://…) instead)."
            )
    audience = draft.audience
    if (
        audience.purchased_from is not None
        and audience.purchased_until is not None
        and audience.purchased_until <= audience.purchased_from
    ):
        problems["purchased_until"] = "The last purchase day must not come before the first."
    return problems


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    id: int
    subject: str
    body_markdown: str
    status: CampaignStatus
    audience: AudienceFilter
    created_at: datetime
    updated_at: datetime
    send_started_at: datetime | None
    finished_at: datetime | None

    @property
    def is_draft(self) -> bool:
        return self.status is CampaignStatus.DRAFT

    @property
    def body_html(self) -> str:
        return render_body(self.body_markdown)

    @property
    def preview_html(self) -> str:
        """The body inside a staff page, under its own level-2 heading."""
        return render_body(self.body_markdown, top_heading=3)


CAMPAIGN_COLUMNS = (
    Campaign.id,
    Campaign.subject,
    Campaign.body_markdown,
    Campaign.status,
    Campaign.tag,
    Campaign.event,
    Campaign.performance,
    Campaign.purchased_from,
    Campaign.purchased_until,
    Campaign.created_at,
    Campaign.updated_at,
    Campaign.send_started_at,
    Campaign.finished_at,
)


def summary_from_row(row: dict) -> CampaignSummary:
    return CampaignSummary(
        id=row["id"],
        subject=row["subject"],
        body_markdown=row["body_markdown"],
        status=CampaignStatus(row["status"]),
        audience=AudienceFilter(
            tag_id=row["tag"],
            event_id=row["event"],
            performance_id=row["performance"],
            purchased_from=optional_utc(row["purchased_from"]),
            purchased_until=optional_utc(row["purchased_until"]),
        ),
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        send_started_at=optional_utc(row["send_started_at"]),
        finished_at=optional_utc(row["finished_at"]),
    )


async def get_campaign(campaign_id: int) -> CampaignSummary | None:
    row = await Campaign.select(*CAMPAIGN_COLUMNS).where(Campaign.id == campaign_id).first()
    return summary_from_row(row) if row else None


async def list_campaigns() -> list[CampaignSummary]:
    rows = await Campaign.select(*CAMPAIGN_COLUMNS).order_by(Campaign.id, ascending=False)
    return [summary_from_row(row) for row in rows]


def filter_values(audience: AudienceFilter) -> dict:
    return {
        Campaign.tag: audience.tag_id,
        Campaign.event: audience.event_id,
        Campaign.performance: audience.performance_id,
        Campaign.purchased_from: audience.purchased_from,
        Campaign.purchased_until: audience.purchased_until,
    }


async def save_draft(
    campaign_id: int | None, draft: CampaignDraft, *, actor_id: int, ip: str, now: datetime
) -> int:
    """Create a draft (`campaign_id` None) or change one; returns its id. Raises CampaignRefused for
    bad input, LookupError for an unknown campaign, and refuses to change one already sent."""
    problems = draft_problems(draft)
    if problems:
        raise CampaignRefused(problems)
    values = {
        Campaign.subject: draft.subject,
        Campaign.body_markdown: draft.body_markdown,
        Campaign.updated_at: now,
        **filter_values(draft.audience),
    }
    async with write_transaction():
        if campaign_id is None:
            [created] = await Campaign.insert(
                Campaign(
                    subject=draft.subject,
                    body_markdown=draft.body_markdown,
                    created_at=now,
                    updated_at=now,
                    created_by=actor_id,
                    tag=draft.audience.tag_id,
                    event=draft.audience.event_id,
                    performance=draft.audience.performance_id,
                    purchased_from=draft.audience.purchased_from,
                    purchased_until=draft.audience.purchased_until,
                )
            ).returning(Campaign.id)
            campaign_id = created["id"]
            action = "campaign.created"
        else:
            changed = (
                await Campaign.update(values)
                .where((Campaign.id == campaign_id) & (Campaign.status == CampaignStatus.DRAFT))
                .returning(Campaign.id)
            )
            if not changed:
                if await Campaign.exists().where(Campaign.id == campaign_id):
                    raise CampaignRefused({"": "This campaign has been sent; it can no longer be changed."})
                raise LookupError(campaign_id)
            action = "campaign.updated"
        await audit.record(action, actor_id=actor_id, ip=ip, object_type="campaign", object_id=campaign_id)
    return campaign_id


async def copy_campaign(campaign_id: int, *, actor_id: int, ip: str, now: datetime) -> int:
    """A new draft with the subject, body and audience filters of another campaign, sent or not."""
    campaign = await get_campaign(campaign_id)
    if campaign is None:
        raise LookupError(campaign_id)
    draft = CampaignDraft(
        subject=campaign.subject, body_markdown=campaign.body_markdown, audience=campaign.audience
    )
    return await save_draft(None, draft, actor_id=actor_id, ip=ip, now=now)


class EmptyAudience(CampaignRefused):
    def __init__(self) -> None:
        super().__init__(
            {
                "": "Nobody is in this audience: no contact who opted in to e-mail matches these filters. "
                "Nothing was sent; widen the audience and try again."
            }
        )


async def start_sending(campaign_id: int, *, actor_id: int, ip: str, now: datetime) -> int:
    """Fix the audience of a draft as its recipients and hand the campaign to the worker; returns how
    many recipients it has. Raises EmptyAudience (changing nothing) when nobody matches, CampaignRefused
    when it is not a draft any more (a second click), LookupError when there is no such campaign."""
    async with write_transaction():
        claimed = (
            await Campaign.update(
                {
                    Campaign.status: CampaignStatus.SENDING,
                    Campaign.send_started_at: now,
                    Campaign.send_started_by: actor_id,
                    Campaign.next_release_at: now,
                }
            )
            .where((Campaign.id == campaign_id) & (Campaign.status == CampaignStatus.DRAFT))
            .returning(Campaign.id)
        )
        if not claimed:
            if await Campaign.exists().where(Campaign.id == campaign_id):
                raise CampaignRefused({"": "This campaign is already being sent."})
            raise LookupError(campaign_id)
        campaign = await get_campaign(campaign_id)
        assert campaign is not None
        where, values = audience_condition(campaign.audience)
        await CampaignRecipient.raw(
            "INSERT INTO campaign_recipient (campaign, contact, status)"
            f" SELECT {{}}, id, {{}} FROM contact WHERE {where}",
            campaign_id,
            RecipientStatus.PENDING.value,
            *values,
        )
        recipients = await CampaignRecipient.count().where(CampaignRecipient.campaign == campaign_id)
        if not recipients:
            raise EmptyAudience()  # rolls the whole transaction back: the campaign stays a draft
        await audit.record(
            "campaign.sending",
            actor_id=actor_id,
            ip=ip,
            object_type="campaign",
            object_id=campaign_id,
            detail={"recipients": recipients},
        )
    return recipients


async def cancel_sending(campaign_id: int, *, actor_id: int, ip: str, now: datetime) -> int:
    """Stop a campaign being sent: recipients not yet queued are skipped; returns how many. Messages
    already in the outbox still go."""
    async with write_transaction():
        stopped = (
            await Campaign.update({Campaign.status: CampaignStatus.CANCELLED, Campaign.finished_at: now})
            .where((Campaign.id == campaign_id) & (Campaign.status == CampaignStatus.SENDING))
            .returning(Campaign.id)
        )
        if not stopped:
            raise CampaignRefused({"": "Only a campaign being sent can be stopped."})
        skipped = await (
            CampaignRecipient.update({CampaignRecipient.status: RecipientStatus.SKIPPED})
            .where(
                (CampaignRecipient.campaign == campaign_id)
                & (CampaignRecipient.status == RecipientStatus.PENDING)
            )
            .returning(CampaignRecipient.id)
        )
        await audit.record(
            "campaign.cancelled",
            actor_id=actor_id,
            ip=ip,
            object_type="campaign",
            object_id=campaign_id,
            detail={"skipped": len(skipped)},
        )
    return len(skipped)


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


# The report


@dataclass(frozen=True, slots=True)
class RecipientRow:
    contact_id: int
    name: str
    status: str  # pending, skipped, queued, sent, failed, uncertain, or deleted from the e-mail log
    unsubscribed: bool  # through this campaign's link
    opted_in_now: bool  # the contact's e-mail consent as it stands now


@dataclass(frozen=True, slots=True)
class CampaignReport:
    recipients: int
    pending: int
    skipped: int
    queued: int  # in the outbox, not sent yet
    sent: int
    failed: int
    uncertain: int  # its worker died while handing it to SMTP: it may have gone, and is not sent again
    deleted: int  # sent or failed, then deleted from the e-mail log by the retention period
    unsubscribed: int
    rows: list[RecipientRow]


def shown_status(recipient_status: str, message_status: str | None) -> str:
    """A recipient's status as the report shows it: a queued one's is its message's in the outbox."""
    if recipient_status != RecipientStatus.QUEUED:
        return recipient_status
    return {
        OutboxStatus.SENT: "sent",
        OutboxStatus.FAILED: "failed",
        OutboxStatus.UNCERTAIN: "uncertain",
        None: "deleted",
    }.get(message_status, "queued")


async def campaign_report(campaign_id: int, *, limit: int = 500) -> CampaignReport:
    """Recipients, how their messages fared in the outbox, and who unsubscribed through this campaign,
    counted in the database; the first `limit` recipients are listed. Names come from the contacts (a
    removed contact shows as removed), never from the campaign's rows."""
    tallies = await CampaignRecipient.raw(
        "SELECT campaign_recipient.status, outbox_message.status AS message_status, COUNT(*) AS recipients,"
        " COUNT(campaign_recipient.unsubscribed_at) AS unsubscribed"
        " FROM campaign_recipient LEFT JOIN outbox_message ON outbox_message.id = campaign_recipient.message"
        " WHERE campaign_recipient.campaign = {} GROUP BY campaign_recipient.status, outbox_message.status",
        campaign_id,
    )
    counts = dict.fromkeys(("pending", "skipped", "queued", "sent", "failed", "uncertain", "deleted"), 0)
    for tally in tallies:
        counts[shown_status(tally["status"], tally["message_status"])] += tally["recipients"]
    rows = await CampaignRecipient.raw(
        "SELECT campaign_recipient.contact, campaign_recipient.status, campaign_recipient.unsubscribed_at,"
        " outbox_message.status AS message_status, contact.first_name, contact.last_name, contact.erased_at,"
        " (SELECT consent_record.granted FROM consent_record WHERE consent_record.contact = contact.id"
        " AND consent_record.channel = {} ORDER BY consent_record.recorded_at DESC, consent_record.id DESC"
        " LIMIT 1) AS opted_in_now"
        " FROM campaign_recipient JOIN contact ON contact.id = campaign_recipient.contact"
        " LEFT JOIN outbox_message ON outbox_message.id = campaign_recipient.message"
        " WHERE campaign_recipient.campaign = {} ORDER BY campaign_recipient.id LIMIT {}",
        Channel.EMAIL.value,
        campaign_id,
        limit,
    )
    listed = [
        RecipientRow(
            contact_id=row["contact"],
            name="(removed contact)"
            if row["erased_at"] is not None
            else " ".join(part for part in (row["first_name"], row["last_name"]) if part) or "(no name)",
            status=shown_status(row["status"], row["message_status"]),
            unsubscribed=row["unsubscribed_at"] is not None,
            opted_in_now=bool(row["opted_in_now"]),
        )
        for row in rows
    ]
    return CampaignReport(
        recipients=sum(tally["recipients"] for tally in tallies),
        unsubscribed=sum(tally["unsubscribed"] for tally in tallies),
        rows=listed,
        **counts,
    )


async def sent_counts() -> dict[int, int]:
    """How many recipients each campaign has, for the campaign list."""
    rows = await CampaignRecipient.raw(
        "SELECT campaign, COUNT(*) AS recipients FROM campaign_recipient GROUP BY campaign"
    )
    return {row["campaign"]: row["recipients"] for row in rows}

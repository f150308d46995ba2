"""Campaigns: write a marketing e-mail, count its audience, try it on yourself, then send it.

A campaign is a draft, changed or copied at will, until it is sent in two steps, so that a crash can
never give anyone the same campaign twice: `start_sending` fixes the audience, one CampaignRecipient row
per contact, (campaign, contact) unique, written by one INSERT ... SELECT in the same transaction that
marks the campaign as sending; then the worker releases its messages (`marketing.campaign_sending`)
until none is left pending or `cancel_sending` skips the rest.

Bodies are Markdown. Raw HTML is refused with a message when the campaign is saved; what is rendered is
HTML from markdown-it with raw HTML turned off, cleaned again by nh3 to plain formatting and http(s) or
mailto links, so neither script nor event handlers can reach a recipient. The plain-text part is the
Markdown itself, which is written to be read as it is.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from boxoffice.auth import audit
from boxoffice.db import as_utc, optional_utc, write_transaction
from boxoffice.documents.html import formatting_cleaner
from boxoffice.errors import Refused
from boxoffice.marketing.audience import AudienceFilter, audience_condition
from boxoffice.marketing.tables import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from boxoffice.paging import Page, PageRequest

if TYPE_CHECKING:
    import nh3
    from markdown_it import MarkdownIt

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 50_000
FIRST_PAGE = PageRequest(1, 25)


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


async def list_campaigns(page: PageRequest = FIRST_PAGE) -> Page[CampaignSummary]:
    """One page of the campaigns, newest first, with how many there are; a page past the end is the last."""
    total = await Campaign.count()
    shown = page.within(total)
    rows = (
        await Campaign.select(*CAMPAIGN_COLUMNS)
        .order_by(Campaign.id, ascending=False)
        .limit(shown.size)
        .offset(shown.offset)
    )
    return shown.page([summary_from_row(row) for row in rows], total)


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

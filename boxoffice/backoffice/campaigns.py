"""Marketing → Campaigns: drafts, their audience, a test send, sending, stopping and copying.

The rules (who is in an audience, what a body may hold, sending once) live in `marketing.campaigns`,
`marketing.campaign_sending` and `marketing.audience`; these routes read the forms, call them and show
what they answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.db import LARGEST_ID, parse_id
from boxoffice.marketing import campaign_reports, campaign_sending, campaigns
from boxoffice.marketing.audience import AudienceFilter, audience_choices, audience_size, describe
from boxoffice.paging import PageRequest
from boxoffice.web import forms
from boxoffice.web.dependencies import Acting, AppSettings
from boxoffice.web.forms import FORM

CAMPAIGNS = {"permission": Perm.MARKETING_CAMPAIGNS}
CAMPAIGNS_PAGE_SIZE = 25


NOTICES = {
    "created": "The draft has been saved.",
    "saved": "The draft has been saved.",
    "tested": "A test has been queued to your e-mail address; it arrives when the worker next sends mail.",
    "sending": "The campaign is being sent. The worker queues its messages at the configured pace.",
    "cancelled": "The campaign has been stopped; messages already queued still go.",
    "copied": "This is a new draft copied from the campaign; change it as you wish before sending.",
}


def mail_settings(settings: AppSettings) -> campaign_sending.MailSettings:
    return campaign_sending.MailSettings(base_url=settings.base_url, secret_key=settings.secret_key)


def parse_day(text: str) -> date | str | None:
    """A date typed as YYYY-MM-DD, None when empty, or the text back when it is not a date."""
    text = text.strip()
    if not text:
        return None
    try:
        return forms.parse_day(text)
    except ValueError:
        return text


@dataclass
class CampaignForm:
    """The fields the campaign form may send, as typed."""

    subject: str = ""
    body_markdown: str = ""
    tag: str = ""
    event: str = ""
    performance: str = ""
    purchased_from: str = ""
    purchased_until: str = ""

    def values(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "body_markdown": self.body_markdown,
            "tag": self.tag,
            "event": self.event,
            "performance": self.performance,
            "purchased_from": self.purchased_from,
            "purchased_until": self.purchased_until,
        }

    def draft(self) -> tuple[campaigns.CampaignDraft, dict[str, str]]:
        """The typed draft, and a message for each filter that could not be read."""
        problems: dict[str, str] = {}
        ids: dict[str, int | None] = {}
        for name in ("tag", "event", "performance"):
            text = getattr(self, name).strip()
            ids[name] = parse_id(text) if text else None
            if text and ids[name] is None:
                problems[name] = f"Choose a {name} from the list."
        days: dict[str, datetime | None] = {}
        for name, shift in (("purchased_from", 0), ("purchased_until", 1)):
            day = parse_day(getattr(self, name))
            if isinstance(day, str):
                problems[name] = "Enter a date such as 2026-11-21."
                day = None
            days[name] = datetime.combine(day + timedelta(days=shift), time.min, UTC) if day else None
        draft = campaigns.CampaignDraft(
            subject=" ".join(self.subject.split()),
            body_markdown=self.body_markdown.replace("\r\n", "\n"),
            audience=AudienceFilter(
                tag_id=ids["tag"],
                event_id=ids["event"],
                performance_id=ids["performance"],
                purchased_from=days["purchased_from"],
                purchased_until=days["purchased_until"],
            ),
        )
        return draft, problems


def form_values(campaign: campaigns.CampaignSummary) -> dict[str, str]:
    audience = campaign.audience
    last_day = audience.purchased_until - timedelta(days=1) if audience.purchased_until else None
    return {
        "subject": campaign.subject,
        "body_markdown": campaign.body_markdown,
        "tag": str(audience.tag_id or ""),
        "event": str(audience.event_id or ""),
        "performance": str(audience.performance_id or ""),
        "purchased_from": audience.purchased_from.date().isoformat() if audience.purchased_from else "",
        "purchased_until": last_day.date().isoformat() if last_day else "",
    }


async def campaign_or_404(campaign_id: int) -> campaigns.CampaignSummary:
    campaign = await campaigns.get_campaign(campaign_id) if 1 <= campaign_id <= LARGEST_ID else None
    if campaign is None:
        raise NotFoundException()
    return campaign


@get("/marketing/campaigns", name="marketing.campaigns", opt=CAMPAIGNS)
async def campaign_list(page: FromQuery[str] = "") -> Template:
    listed = await campaigns.list_campaigns(PageRequest.parse(page, size=CAMPAIGNS_PAGE_SIZE))
    return Template(
        "marketing/campaigns.html",
        context={
            "campaigns": listed,
            "recipients": await campaign_reports.sent_counts([campaign.id for campaign in listed.items]),
        },
    )


async def campaign_page(
    *,
    campaign: campaigns.CampaignSummary | None,
    values: dict[str, str],
    audience: AudienceFilter | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Template:
    """The form of a new or draft campaign, with its audience counted and its body previewed."""
    errors = errors or {}
    choices = await audience_choices()
    audience = audience or (campaign.audience if campaign else AudienceFilter())
    return Template(
        "marketing/campaign_form.html",
        context={
            "campaign": campaign,
            "values": values,
            "errors": errors,
            "error_list": list(errors.values()),
            "notice": notice,
            "choices": choices,
            "audience_count": await audience_size(audience),
            "audience_words": describe(audience, choices),
            "max_subject_length": campaigns.MAX_SUBJECT_LENGTH,
        },
        status_code=status_code,
    )


@get("/marketing/campaigns/new", name="marketing.campaigns.new", opt=CAMPAIGNS)
async def new_campaign() -> Template:
    return await campaign_page(campaign=None, values=CampaignForm().values())


@post("/marketing/campaigns/new", name="marketing.campaigns.create", opt=CAMPAIGNS)
async def create_campaign(
    request: Request, acting: Acting, data: Annotated[CampaignForm, FORM]
) -> Template | Redirect:
    return await submit_campaign(request, acting, None, data)


async def submit_campaign(
    request: Request, acting: Acting, campaign: campaigns.CampaignSummary | None, data: CampaignForm
) -> Template | Redirect:
    draft, problems = data.draft()
    problems = {**campaigns.draft_problems(draft), **problems}
    if not problems:
        try:
            campaign_id = await campaigns.save_draft(
                campaign.id if campaign else None,
                draft,
                actor_id=acting.staff_id,
                ip=acting.ip,
                now=datetime.now(UTC),
            )
        except campaigns.CampaignRefused as refusal:
            problems = refusal.problems
        except LookupError as missing:
            raise NotFoundException() from missing
    if problems:
        return await campaign_page(
            campaign=campaign, values=data.values(), audience=draft.audience, errors=problems, status_code=400
        )
    return Redirect(
        path=request.app.route_reverse("marketing.campaign", campaign_id=campaign_id),
        query_params={"done": "saved"},
        status_code=303,
    )


@get("/marketing/campaigns/audience", name="marketing.campaigns.audience", opt=CAMPAIGNS)
async def audience_count(request: Request) -> Template:
    """The audience count for the filters as they stand in the form (htmx, while staff choose)."""
    query = request.query_params
    form = CampaignForm(
        **{
            name: str(query.get(name, ""))
            for name in ("tag", "event", "performance", "purchased_from", "purchased_until")
        }
    )
    draft, problems = form.draft()
    return Template(
        "marketing/_audience_count.html",
        context={
            "audience_problems": problems,
            "audience_count": None if problems else await audience_size(draft.audience),
        },
    )


@get("/marketing/campaigns/{campaign_id:int}", name="marketing.campaign", opt=CAMPAIGNS)
async def show_campaign(request: Request, campaign_id: FromPath[int]) -> Template:
    campaign = await campaign_or_404(campaign_id)
    notice = NOTICES.get(str(request.query_params.get("done", "")), "")
    if campaign.is_draft:
        return await campaign_page(campaign=campaign, values=form_values(campaign), notice=notice)
    choices = await audience_choices()
    return Template(
        "marketing/campaign_report.html",
        context={
            "campaign": campaign,
            "report": await campaign_reports.campaign_report(campaign.id),
            "audience_words": describe(campaign.audience, choices),
            "notice": notice,
        },
    )


@post("/marketing/campaigns/{campaign_id:int}", name="marketing.campaign.save", opt=CAMPAIGNS)
async def save_campaign(
    request: Request, acting: Acting, campaign_id: FromPath[int], data: Annotated[CampaignForm, FORM]
) -> Template | Redirect:
    return await submit_campaign(request, acting, await campaign_or_404(campaign_id), data)


def back_to(request: Request, campaign_id: int, done: str) -> Redirect:
    return Redirect(
        path=request.app.route_reverse("marketing.campaign", campaign_id=campaign_id),
        query_params={"done": done},
        status_code=303,
    )


@post("/marketing/campaigns/{campaign_id:int}/test", name="marketing.campaign.test", opt=CAMPAIGNS)
async def send_test(
    request: Request, settings: AppSettings, acting: Acting, campaign_id: FromPath[int]
) -> Redirect:
    campaign = await campaign_or_404(campaign_id)
    staff = acting.staff
    await campaign_sending.send_test(
        campaign.id,
        staff_id=staff.id,
        staff_email=staff.email,
        mail=mail_settings(settings),
        ip=acting.ip,
        now=datetime.now(UTC),
    )
    return back_to(request, campaign.id, "tested")


@post("/marketing/campaigns/{campaign_id:int}/send", name="marketing.campaign.send", opt=CAMPAIGNS)
async def send_campaign(request: Request, acting: Acting, campaign_id: FromPath[int]) -> Template | Redirect:
    campaign = await campaign_or_404(campaign_id)
    try:
        await campaigns.start_sending(
            campaign.id, actor_id=acting.staff_id, ip=acting.ip, now=datetime.now(UTC)
        )
    except campaigns.CampaignRefused as refusal:
        current = await campaign_or_404(campaign_id)
        if not current.is_draft:
            return back_to(request, campaign.id, "sending")
        return await campaign_page(
            campaign=current, values=form_values(current), errors=refusal.problems, status_code=400
        )
    return back_to(request, campaign.id, "sending")


@post("/marketing/campaigns/{campaign_id:int}/cancel", name="marketing.campaign.cancel", opt=CAMPAIGNS)
async def cancel_campaign(request: Request, acting: Acting, campaign_id: FromPath[int]) -> Redirect:
    campaign = await campaign_or_404(campaign_id)
    try:
        await campaigns.cancel_sending(
            campaign.id, actor_id=acting.staff_id, ip=acting.ip, now=datetime.now(UTC)
        )
    except campaigns.CampaignRefused:
        return back_to(request, campaign.id, "")
    return back_to(request, campaign.id, "cancelled")


@post("/marketing/campaigns/{campaign_id:int}/copy", name="marketing.campaign.copy", opt=CAMPAIGNS)
async def copy_campaign(request: Request, acting: Acting, campaign_id: FromPath[int]) -> Redirect:
    campaign = await campaign_or_404(campaign_id)
    copy_id = await campaigns.copy_campaign(
        campaign.id, actor_id=acting.staff_id, ip=acting.ip, now=datetime.now(UTC)
    )
    return back_to(request, copy_id, "copied")


ROUTES = [
    campaign_list,
    new_campaign,
    create_campaign,
    audience_count,
    show_campaign,
    save_campaign,
    send_test,
    send_campaign,
    cancel_campaign,
    copy_campaign,
]

"""Marketing pages: campaigns for staff, and the public unsubscribe page that every campaign links to.

The rules (who is in an audience, what a body may hold, sending once, consent records) live in
`marketing.campaigns`, `marketing.audience` and `marketing.unsubscribe`; these routes read the forms,
call them and show what they answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from litestar import Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from boxoffice.auth.guards import Staff, client_ip
from boxoffice.auth.permissions import Perm
from boxoffice.config import Settings
from boxoffice.marketing import campaigns, questions, reports, retention, unsubscribe
from boxoffice.marketing.audience import AudienceFilter, audience_choices, audience_size, describe
from boxoffice.marketing.consent import records_by_question_version
from boxoffice.marketing.tables import QuestionKind
from boxoffice.storefront.settings import (
    MAX_WORDING_LENGTH,
    SettingsRefused,
    consent_question_history,
    current_question,
)
from boxoffice.web import forms
from boxoffice.web.forms import LARGEST_ID, parse_id

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
CAMPAIGNS = {"permission": Perm.MARKETING_CAMPAIGNS}
NO_STORE = CacheControlHeader(no_store=True)  # the unsubscribe pages are personal
NOTICES = {
    "created": "The draft has been saved.",
    "saved": "The draft has been saved.",
    "tested": "A test has been queued to your e-mail address; it arrives when the worker next sends mail.",
    "sending": "The campaign is being sent. The worker queues its messages at the configured pace.",
    "cancelled": "The campaign has been stopped; messages already queued still go.",
    "copied": "This is a new draft copied from the campaign; change it as you wish before sending.",
}


def staff_of(request: Request) -> Staff:
    return request.state.staff


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def mail_settings(request: Request) -> campaigns.MailSettings:
    settings = settings_of(request)
    return campaigns.MailSettings(base_url=settings.base_url, secret_key=settings.secret_key)


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
async def campaign_list() -> Template:
    return Template(
        "marketing/campaigns.html",
        context={"campaigns": await campaigns.list_campaigns(), "recipients": await campaigns.sent_counts()},
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
async def create_campaign(request: Request, data: Annotated[CampaignForm, FORM]) -> Template | Redirect:
    return await submit_campaign(request, None, data)


async def submit_campaign(
    request: Request, campaign: campaigns.CampaignSummary | None, data: CampaignForm
) -> Template | Redirect:
    draft, problems = data.draft()
    problems = {**campaigns.draft_problems(draft), **problems}
    if not problems:
        try:
            campaign_id = await campaigns.save_draft(
                campaign.id if campaign else None,
                draft,
                actor_id=staff_of(request).id,
                ip=client_ip(request),
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
            "report": await campaigns.campaign_report(campaign.id),
            "audience_words": describe(campaign.audience, choices),
            "notice": notice,
        },
    )


@post("/marketing/campaigns/{campaign_id:int}", name="marketing.campaign.save", opt=CAMPAIGNS)
async def save_campaign(
    request: Request, campaign_id: FromPath[int], data: Annotated[CampaignForm, FORM]
) -> Template | Redirect:
    return await submit_campaign(request, await campaign_or_404(campaign_id), data)


def back_to(request: Request, campaign_id: int, done: str) -> Redirect:
    return Redirect(
        path=request.app.route_reverse("marketing.campaign", campaign_id=campaign_id),
        query_params={"done": done},
        status_code=303,
    )


@post("/marketing/campaigns/{campaign_id:int}/test", name="marketing.campaign.test", opt=CAMPAIGNS)
async def send_test(request: Request, campaign_id: FromPath[int]) -> Redirect:
    campaign = await campaign_or_404(campaign_id)
    staff = staff_of(request)
    await campaigns.send_test(
        campaign.id,
        staff_id=staff.id,
        staff_email=staff.email,
        mail=mail_settings(request),
        ip=client_ip(request),
        now=datetime.now(UTC),
    )
    return back_to(request, campaign.id, "tested")


@post("/marketing/campaigns/{campaign_id:int}/send", name="marketing.campaign.send", opt=CAMPAIGNS)
async def send_campaign(request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
    campaign = await campaign_or_404(campaign_id)
    try:
        await campaigns.start_sending(
            campaign.id, actor_id=staff_of(request).id, ip=client_ip(request), now=datetime.now(UTC)
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
async def cancel_campaign(request: Request, campaign_id: FromPath[int]) -> Redirect:
    campaign = await campaign_or_404(campaign_id)
    try:
        await campaigns.cancel_sending(
            campaign.id, actor_id=staff_of(request).id, ip=client_ip(request), now=datetime.now(UTC)
        )
    except campaigns.CampaignRefused:
        return back_to(request, campaign.id, "")
    return back_to(request, campaign.id, "cancelled")


# Marketing > Settings: the two marketing questions

MARKETING_SETTINGS = {"permission": Perm.MARKETING_SETTINGS}


@dataclass
class QuestionsForm:
    """Both questions as the form sends them; ticked boxes send "yes", unticked ones nothing."""

    online_question_enabled: str = ""
    online_question_text: str = ""
    box_office_question_enabled: str = ""
    box_office_question_text: str = ""

    def values(self) -> dict[str, str | bool]:
        return {
            "online_question_enabled": bool(self.online_question_enabled),
            "online_question_text": self.online_question_text,
            "box_office_question_enabled": bool(self.box_office_question_enabled),
            "box_office_question_text": self.box_office_question_text,
        }

    def changes(self) -> list[questions.QuestionChange]:
        values = self.values()
        return [
            questions.QuestionChange(
                kind=kind,
                enabled=bool(values[f"{kind.value}_question_enabled"]),
                text=str(values[f"{kind.value}_question_text"]),
            )
            for kind in QuestionKind
        ]


async def settings_page(
    *, values: dict[str, str | bool] | None = None, errors: dict[str, str] | None = None, notice: str = ""
) -> Template:
    """The questions' form (as submitted, or as in effect) and each question's versions with how many
    consents were given under each."""
    current = {kind.value: await current_question(kind) for kind in QuestionKind}
    histories = {}
    for kind in QuestionKind:
        counts = await records_by_question_version(kind)
        histories[kind.value] = [
            (change, counts.get(change.version, 0)) for change in await consent_question_history(kind)
        ]
    in_effect = {}
    for kind, question in current.items():
        in_effect[f"{kind}_question_enabled"] = question.enabled
        in_effect[f"{kind}_question_text"] = question.text
    errors = errors or {}
    return Template(
        "marketing/settings.html",
        context={
            "values": values if values is not None else in_effect,
            "errors": errors,
            "error_list": list(errors.values()),
            "notice": notice,
            "current": current,
            "questions": histories,
            "max_wording_length": MAX_WORDING_LENGTH,
        },
        status_code=400 if errors else 200,
    )


@get("/marketing/settings", name="marketing.settings", opt=MARKETING_SETTINGS)
async def marketing_settings(done: FromQuery[str] = "") -> Template:
    return await settings_page(notice="The marketing settings have been saved." if done == "saved" else "")


@post("/marketing/settings", name="marketing.settings.save", opt=MARKETING_SETTINGS)
async def save_marketing_settings(
    request: Request, data: Annotated[QuestionsForm, FORM]
) -> Template | Redirect:
    try:
        await questions.save_marketing_questions(
            data.changes(), actor_id=staff_of(request).id, ip=client_ip(request)
        )
    except SettingsRefused as refusal:
        return await settings_page(values=data.values(), errors=refusal.problems)
    return Redirect(
        path=request.app.route_reverse("marketing.settings"), query_params={"done": "saved"}, status_code=303
    )


# Marketing > Consent report

CONSENT_REPORT = {"permission": Perm.MARKETING_CONSENT}


def months_asked(months: str) -> int:
    return int(months) if months.isdigit() and int(months) in reports.MONTH_CHOICES else 12


@get("/marketing/consent", name="marketing.consent", opt=CONSENT_REPORT)
async def consent_report(months: FromQuery[str] = "12") -> Template:
    chosen = months_asked(months)
    return Template(
        "marketing/consent_report.html",
        context={
            "report": await reports.consent_report(chosen),
            "months": chosen,
            "month_choices": reports.MONTH_CHOICES,
            "source_labels": {source.value: label for source, label in reports.SOURCE_LABELS.items()},
        },
    )


@get("/marketing/consent.csv", name="marketing.consent.csv", opt=CONSENT_REPORT)
async def consent_report_csv(months: FromQuery[str] = "12") -> Response:
    chosen = months_asked(months)
    return Response(
        reports.report_csv(await reports.consent_report(chosen)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=consent-{chosen}-months.csv"},
    )


# Marketing > Records of processing, and the retention periods they state

PROCESSING = {"permission": Perm.MARKETING_PROCESSING}


@get("/marketing/processing", name="marketing.processing", opt=PROCESSING)
async def records_of_processing(request: Request, done: FromQuery[str] = "") -> Template:
    settings = settings_of(request)
    return Template(
        "marketing/processing.html",
        context={
            "periods": await retention.retention_periods(),
            "card_payments": settings.card_payments,
            "smtp_host": settings.smtp_host,
            "notice": "The retention periods have been saved." if done == "saved" else "",
        },
    )


def retention_page(
    values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    errors = errors or {}
    return Template(
        "marketing/retention.html",
        context={
            "values": values,
            "errors": errors,
            "error_list": list(errors.values()),
            "rules": retention.RETENTION_RULES,
        },
        status_code=status_code,
    )


@get("/marketing/processing/retention", name="marketing.retention", opt=PROCESSING)
async def retention_form() -> Template:
    periods = await retention.retention_periods()
    return retention_page({name: str(getattr(periods, name)) for name in retention.RETENTION_RULES})


@post("/marketing/processing/retention", name="marketing.retention.save", opt=PROCESSING)
async def save_retention(request: Request) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in retention.RETENTION_RULES}
    try:
        await retention.save_retention_periods(values, actor_id=staff_of(request).id, ip=client_ip(request))
    except SettingsRefused as refusal:
        return retention_page(values, refusal.problems, status_code=400)
    return Redirect(
        path=request.app.route_reverse("marketing.processing"),
        query_params={"done": "saved"},
        status_code=303,
    )


@post("/marketing/campaigns/{campaign_id:int}/copy", name="marketing.campaign.copy", opt=CAMPAIGNS)
async def copy_campaign(request: Request, campaign_id: FromPath[int]) -> Redirect:
    campaign = await campaign_or_404(campaign_id)
    copy_id = await campaigns.copy_campaign(
        campaign.id, actor_id=staff_of(request).id, ip=client_ip(request), now=datetime.now(UTC)
    )
    return back_to(request, copy_id, "copied")


MARKETING_ROUTES = [
    consent_report,
    consent_report_csv,
    records_of_processing,
    retention_form,
    save_retention,
    marketing_settings,
    save_marketing_settings,
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


# The public unsubscribe page

UNSUBSCRIBE_MESSAGES = {
    unsubscribe.Outcome.OPTED_OUT: "You have been unsubscribed. We will send you no more marketing e-mail.",
    unsubscribe.Outcome.ALREADY_OUT: "You are unsubscribed. We send you no marketing e-mail.",
    unsubscribe.Outcome.OPTED_IN: "Thank you: you are subscribed again and will hear about our shows.",
    unsubscribe.Outcome.ALREADY_IN: "You are subscribed to our marketing e-mail.",
    unsubscribe.Outcome.REMOVED: "We no longer hold your details, so we send you nothing and there is "
    "nothing to unsubscribe from.",
    unsubscribe.Outcome.TEST_SEND: "This link came from a test send to staff: nobody has been unsubscribed.",
}


def unsubscribe_page(outcome: unsubscribe.Outcome, token: str, wording: str = "") -> Template:
    offer_opt_in = outcome in (unsubscribe.Outcome.OPTED_OUT, unsubscribe.Outcome.ALREADY_OUT)
    offer_opt_out = outcome in (unsubscribe.Outcome.OPTED_IN, unsubscribe.Outcome.ALREADY_IN)
    return Template(
        "marketing/unsubscribe.html",
        context={
            "outcome": outcome.value,
            "message": UNSUBSCRIBE_MESSAGES[outcome],
            "token": token,
            "offer_opt_in": offer_opt_in,
            "offer_opt_out": offer_opt_out,
            "opt_in_wording": wording,
        },
    )


def refused_page(refusal: unsubscribe.TokenRefused) -> Template:
    return Template(
        "marketing/unsubscribe_refused.html", context={"expired": refusal.expired}, status_code=400
    )


@get("/unsubscribe/{token:str}", name="marketing.unsubscribe", cache_control=NO_STORE)
async def unsubscribe_link(request: Request, token: FromPath[str]) -> Template:
    """The link in every marketing e-mail: where the person stands, with one Unsubscribe button while they
    are subscribed, and nothing changed. Mail security scanners open every link in a message, so opening
    it must not opt anyone out."""
    try:
        contents = unsubscribe.read_token(settings_of(request).secret_key, token, datetime.now(UTC))
    except unsubscribe.TokenRefused as refusal:
        return refused_page(refusal)
    standing = await unsubscribe.current_standing(contents)
    return unsubscribe_page(standing, token, await unsubscribe.opt_in_wording())


@post(
    "/unsubscribe/{token:str}",
    name="marketing.unsubscribe.post",
    opt={"exclude_from_csrf": True},
    status_code=200,
    cache_control=NO_STORE,
)
async def unsubscribe_by_post(request: Request, token: FromPath[str]) -> Response | Template | Redirect:
    """Opt out, for the two callers of this address: mail programs' RFC 8058 one-click POST (the body
    `List-Unsubscribe=One-Click`, answered in plain text) and the page's Unsubscribe button (answered by
    going back to the page, which then offers to opt back in with a CSRF token of its own). Neither
    carries a cookie or CSRF token to check: the signed token is the authority, and anyone who holds it
    can make the one-click POST anyway. A replay finds the contact opted out and writes nothing."""
    now = datetime.now(UTC)
    one_click = (await request.form()).get("List-Unsubscribe") == "One-Click"
    try:
        contents = unsubscribe.read_token(settings_of(request).secret_key, token, now)
    except unsubscribe.TokenRefused as refusal:
        if not one_click:
            return refused_page(refusal)
        return Response(
            "This unsubscribe link has expired.\n"
            if refusal.expired
            else "This unsubscribe link is not valid.\n",
            media_type="text/plain",
            status_code=400,
        )
    outcome = await unsubscribe.opt_out(contents, one_click=one_click, ip=client_ip(request), now=now)
    if one_click:
        return Response(UNSUBSCRIBE_MESSAGES[outcome] + "\n", media_type="text/plain")
    return Redirect(path=request.url_for("marketing.unsubscribe", token=token), status_code=303)


@post("/unsubscribe/{token:str}/opt-in", name="marketing.unsubscribe.opt_in", cache_control=NO_STORE)
async def opt_back_in(request: Request, token: FromPath[str]) -> Template:
    """The unsubscribe page's offer to opt back in: an ordinary form, CSRF-checked."""
    now = datetime.now(UTC)
    try:
        contents = unsubscribe.read_token(settings_of(request).secret_key, token, now)
    except unsubscribe.TokenRefused as refusal:
        return refused_page(refusal)
    outcome = await unsubscribe.opt_back_in(contents, ip=client_ip(request), now=now)
    return unsubscribe_page(outcome, token)


UNSUBSCRIBE_ROUTES = [unsubscribe_link, unsubscribe_by_post, opt_back_in]

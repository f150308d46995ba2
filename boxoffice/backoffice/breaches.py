"""CRM → Breach register: recording a personal-data breach, the decision about reporting it, and
telling the people affected (`privacy.breaches`)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.crm.tags import list_tags
from boxoffice.db import parse_id
from boxoffice.privacy import breaches
from boxoffice.privacy.tables import BreachRisk
from boxoffice.web.dependencies import Acting, AppSettings

BREACHES = {"permission": Perm.CRM_BREACHES}
NOTICES = {
    "recorded": "The breach is recorded. The 72 hours to report it run from when it was found.",
    "decided": "The decision is recorded.",
    "notified": "The message is queued to the people affected.",
}
FORM_FIELDS = ("found_at", "what_happened", "data_involved", "people_affected", "risk")


@get("/crm/breaches", name="crm.breaches", opt=BREACHES)
async def register(acting: Acting, done: FromQuery[str] = "") -> Template:
    return Template(
        "crm/breaches.html",
        context={
            "breaches": await breaches.list_breaches(),
            "now": acting.now,
            "notice": NOTICES.get(done, ""),
        },
    )


def new_page(values: dict[str, str], errors: dict[str, str] | None = None, status: int = 200) -> Template:
    return Template(
        "crm/breach_new.html",
        context={"values": values, "errors": errors or {}, "risks": list(breaches.RISK_LABELS.items())},
        status_code=status,
    )


@get("/crm/breaches/new", name="crm.breaches.new", opt=BREACHES)
async def new_breach(acting: Acting) -> Template:
    return new_page({"found_at": acting.now.strftime("%Y-%m-%dT%H:%M"), "risk": BreachRisk.RISK.value})


@post("/crm/breaches/new", name="crm.breaches.create", opt=BREACHES)
async def record(request: Request, acting: Acting) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:5000] for name in FORM_FIELDS}
    try:
        breach_id = await breaches.record_breach(
            breaches.BreachForm(**values), actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        )
    except breaches.BreachRefused as refusal:
        return new_page(values, refusal.problems, status=400)
    return to_breach(request, breach_id, "recorded")


def to_breach(request: Request, breach_id: int, done: str) -> Redirect:
    return Redirect(
        path=request.app.route_reverse("crm.breach", breach_id=breach_id),
        query_params={"done": done},
        status_code=303,
    )


async def breach_page(
    acting: Acting,
    breach_id: int,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    breach = await breaches.get_breach(breach_id)
    if breach is None:
        raise NotFoundException()
    values = values or {}
    tag_id = parse_id(values.get("tag"))
    count = None
    if values.get("q", "").strip() or tag_id is not None:
        count = await breaches.audience_count(values.get("q", ""), tag_id)
    return Template(
        "crm/breach.html",
        context={
            "breach": breach,
            "now": acting.now,
            "risks": breaches.RISK_LABELS,
            "decisions": breaches.DECISIONS,
            "tags": await list_tags(),
            "values": values,
            "count": count,
            "notice": notice,
            "errors": errors or {},
        },
        status_code=status,
    )


@get("/crm/breaches/{breach_id:int}", name="crm.breach", opt=BREACHES)
async def show_breach(
    acting: Acting,
    breach_id: FromPath[int],
    done: FromQuery[str] = "",
    q: FromQuery[str] = "",
    tag: FromQuery[str] = "",
) -> Template:
    """The breach, with the countdown, and (with a search) how many people a notice would reach."""
    return await breach_page(
        acting, breach_id, notice=NOTICES.get(done, ""), values={"q": q[:200], "tag": tag[:12]}
    )


@post("/crm/breaches/{breach_id:int}/decision", name="crm.breach.decide", opt=BREACHES)
async def decide(request: Request, acting: Acting, breach_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    try:
        await breaches.decide(
            breach_id,
            str(form.get("decision", "")),
            str(form.get("reason", ""))[:5000],
            form.get("notified") == "yes",
            actor_id=acting.staff_id,
            ip=acting.ip,
            now=acting.now,
        )
    except breaches.BreachRefused as refusal:
        return await breach_page(acting, breach_id, errors=refusal.problems, status=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return to_breach(request, breach_id, "decided")


@post("/crm/breaches/{breach_id:int}/notify", name="crm.breach.notify", opt=BREACHES)
async def notify(
    request: Request, settings: AppSettings, acting: Acting, breach_id: FromPath[int]
) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:5000] for name in ("q", "tag", "subject", "message", "confirm")}
    tag_id = parse_id(values["tag"])
    if values["tag"].strip() and tag_id is None:
        return await breach_page(
            acting, breach_id, errors={"tag": "Choose a tag from the list."}, values=values, status=400
        )
    if values["confirm"] != "yes":
        return await breach_page(
            acting,
            breach_id,
            errors={"confirm": "Tick the box to confirm sending."},
            values=values,
            status=400,
        )
    try:
        await breaches.notify_people(
            breach_id,
            values["q"],
            tag_id,
            values["subject"],
            values["message"],
            base_url=settings.base_url,
            actor_id=acting.staff_id,
            ip=acting.ip,
            now=acting.now,
        )
    except breaches.BreachRefused as refusal:
        return await breach_page(acting, breach_id, errors=refusal.problems, values=values, status=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return to_breach(request, breach_id, "notified")


ROUTES = [register, new_breach, record, show_breach, decide, notify]

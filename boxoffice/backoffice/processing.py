"""Marketing → Records of processing: what the venue keeps and why (GDPR 30), and how long it keeps it."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.privacy import retention
from boxoffice.privacy.processors import processors
from boxoffice.venue.settings import SettingsRefused
from boxoffice.web.dependencies import Acting, AppSettings

PROCESSING = {"permission": Perm.MARKETING_PROCESSING}


@get("/marketing/processing", name="marketing.processing", opt=PROCESSING)
async def records_of_processing(settings: AppSettings, done: FromQuery[str] = "") -> Template:
    return Template(
        "marketing/processing.html",
        context={
            "periods": await retention.retention_periods(),
            "card_payments": settings.card_payments,
            "smtp_host": settings.smtp_host,
            "processors": processors(card_payments=settings.card_payments, smtp_host=settings.smtp_host),
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
async def save_retention(request: Request, acting: Acting) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in retention.RETENTION_RULES}
    try:
        await retention.save_retention_periods(values, actor_id=acting.staff_id, ip=acting.ip)
    except SettingsRefused as refusal:
        return retention_page(values, refusal.problems, status_code=400)
    return Redirect(
        path=request.app.route_reverse("marketing.processing"),
        query_params={"done": "saved"},
        status_code=303,
    )


ROUTES = [records_of_processing, retention_form, save_retention]

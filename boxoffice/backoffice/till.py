"""The till summary: each operator's takings and refunds on a day, by payment method, for cashing up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from boxoffice.auth import audit
from boxoffice.auth.permissions import Perm
from boxoffice.db import parse_id
from boxoffice.sales.catalog import house_locale
from boxoffice.sales.tills import till_summary
from boxoffice.web.forms import parse_day


@get("/backoffice/till", name="backoffice.till", opt={"permission": Perm.BOX_OFFICE_TILL})
async def till(day: FromQuery[str] = "", operator: FromQuery[str] = "") -> Template:
    problems = []
    locale, timezone = await house_locale()
    zone = ZoneInfo(timezone)
    today = datetime.now(UTC).astimezone(zone).date()
    chosen_day = today
    if day:
        try:
            chosen_day = parse_day(day)
        except ValueError:
            problems.append("The day is not a date such as 2026-11-21; showing today.")
    operators = await audit.actors()
    operator_id = parse_id(operator)
    if operator and operator_id not in {staff_id for staff_id, _ in operators}:
        problems.append("That operator is not on the list; showing everyone.")
        operator_id = None
    return Template(
        "backoffice/till.html",
        context={
            "day": chosen_day,
            "operator": operator_id,
            "operators": operators,
            "tills": await till_summary(chosen_day, zone, staff_id=operator_id),
            "problems": problems,
            "locale": locale,
            "timezone": timezone,
        },
    )


ROUTES = [till]

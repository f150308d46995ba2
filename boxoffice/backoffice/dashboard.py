"""The dashboard: where every staff member lands after signing in."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import get
from litestar.response import Template

from boxoffice.auth.permissions import Perm
from boxoffice.privacy import requests
from boxoffice.sales import catalog
from boxoffice.web.dependencies import Acting


@get("/backoffice/", name="backoffice.dashboard", opt={"permission": Perm.SIGNED_IN})
async def dashboard(acting: Acting) -> Template:
    performances = await catalog.upcoming_performances(datetime.now(UTC))
    context = {"performances": performances}
    if acting.staff.may(Perm.CRM_PRIVACY_REQUESTS):  # the privacy requests panel
        context["privacy_today"] = acting.now.date()
        context["privacy_due"] = await requests.due_requests(acting.now.date())
    return Template("backoffice/dashboard.html", context=context)


ROUTES = [dashboard]

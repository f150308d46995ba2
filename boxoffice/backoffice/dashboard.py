"""The dashboard: where every staff member lands after signing in."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import get
from litestar.response import Template

from boxoffice.auth.permissions import Perm
from boxoffice.sales import catalog


@get("/backoffice/", name="backoffice.dashboard", opt={"permission": Perm.SIGNED_IN})
async def dashboard() -> Template:
    performances = await catalog.upcoming_performances(datetime.now(UTC))
    return Template("backoffice/dashboard.html", context={"performances": performances})


ROUTES = [dashboard]

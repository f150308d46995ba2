"""Back-office pages."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Router, get
from litestar.response import Template

from boxoffice.sales import catalog


@get("/", name="backoffice.dashboard")
async def dashboard() -> Template:
    performances = await catalog.upcoming_performances(datetime.now(UTC))
    return Template("backoffice/dashboard.html", context={"performances": performances})


backoffice_router = Router(
    path="/backoffice", route_handlers=[dashboard], response_headers={"Cache-Control": "no-store"}
)

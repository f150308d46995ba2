"""Storefront pages: what is on, and when.

The listing pages are kept for a moment in each worker (`BOXOFFICE_CATALOG_CACHE_SECONDS`, wired in
app.py): in an on-sale rush thousands of visitors read the same page, and a second-old "available" is
harmless because seats are only ever taken by the hold's conditional update, which sees the truth.
"""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from boxoffice.sales import catalog
from boxoffice.storefront.checkout import CHECKOUT_ROUTES


@get("/", name="storefront.home", cache=True)
async def home() -> Template:
    events = await catalog.events_on_sale(datetime.now(UTC))
    return Template("storefront/home.html", context={"events": events})


@get("/events/{slug:str}", name="storefront.event", cache=True)
async def event_page(slug: FromPath[str]) -> Template:
    event = await catalog.event_detail(slug, datetime.now(UTC))
    if event is None:
        raise NotFoundException()
    return Template("storefront/event.html", context={"event": event})


storefront_router = Router(path="/", route_handlers=[home, event_page, *CHECKOUT_ROUTES])

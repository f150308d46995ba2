"""What's on: the home page listing and each event's page with its performances.

The listing pages are kept for a moment in each worker (`BOXOFFICE_CATALOG_CACHE_SECONDS`; see
`web.page_cache` for why that is safe and what is kept).
"""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import MediaType, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from boxoffice.sales import catalog
from boxoffice.web.page_cache import PageCache
from boxoffice.web.templating import render_page


def kept_pages(request: Request) -> PageCache:
    return request.app.state.page_cache


@get("/", name="storefront.home")
async def home(request: Request) -> Response[bytes]:
    async def render() -> bytes:
        events = await catalog.events_on_sale(datetime.now(UTC))
        return render_page(request, "storefront/home.html", {"events": events})

    return Response(await kept_pages(request).page("home", render), media_type=MediaType.HTML)


@get("/events/{slug:str}", name="storefront.event")
async def event_page(request: Request, slug: FromPath[str]) -> Response[bytes]:
    async def render() -> bytes:
        event = await catalog.event_detail(slug, datetime.now(UTC))
        if event is None:
            raise NotFoundException()
        return render_page(request, "storefront/event.html", {"event": event})

    return Response(await kept_pages(request).page(("event", slug), render), media_type=MediaType.HTML)


ROUTES = [home, event_page]

"""The venue's name and logo in every storefront page's header, and its pictures at their addresses.

The header's house is read once per worker every `BOXOFFICE_CATALOG_CACHE_SECONDS`, like the pages it
appears on (`web.page_cache`): a kept page is served without reading the database, and its header should
not undo that. Pictures are served from the database with a year's caching: their address names their
content (`sales.pictures`)."""

from __future__ import annotations

import time

from litestar import get
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from litestar.response import Response

from boxoffice.sales import pictures
from boxoffice.sales.pictures import House

A_YEAR = 365 * 24 * 3600


class KeptHouse:
    """The house as last read, for `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._house: House | None = None
        self._fresh_until = 0.0

    async def house(self) -> House:
        if self._house is None or time.monotonic() >= self._fresh_until:
            self._house = await pictures.house()
            self._fresh_until = time.monotonic() + self.seconds
        return self._house


async def identify_house(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Before each storefront page, the house its header shows. A guard that never refuses, as the staff
    router names the venue (`web.guards`): the app's one `before_request` is its bound on path values,
    which a router's own would replace (tests/integration/test_bad_input.py)."""
    connection.state.house = await connection.app.state.kept_house.house()


@get(
    f"{pictures.PICTURES_PATH}/{{digest:str}}/{{width:int}}",
    name="storefront.picture",
    cache_control=CacheControlHeader(max_age=A_YEAR, public=True, immutable=True),
)
async def picture(digest: FromPath[str], width: FromPath[int]) -> Response[bytes]:
    content = await pictures.picture_rendition(digest[:64], width) if 0 < width <= 10_000 else None
    if content is None:
        raise NotFoundException()
    return Response(content, media_type="image/webp")


ROUTES = [picture]

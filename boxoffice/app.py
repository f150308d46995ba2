"""`create_app()`: the one place where routers, plugins, middleware and stores are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.datastructures import CacheControlHeader
from litestar.logging import LoggingConfig
from litestar.response import Response
from litestar.static_files import create_static_files_router

from boxoffice.backoffice.routes import backoffice_router
from boxoffice.config import Settings, get_settings
from boxoffice.db import close_database, database_answers, open_database
from boxoffice.storefront.routes import storefront_router
from boxoffice.web.errors import EXCEPTION_HANDLERS
from boxoffice.web.security_headers import add_security_headers
from boxoffice.web.templating import ASSETS_DIR, template_config


@get("/healthz", name="healthz", cache_control=CacheControlHeader(no_store=True))
async def healthz() -> Response[dict[str, str]]:
    """For load balancers and monitoring: 200 when the database answers, 503 when it does not."""
    if await database_answers():
        return Response({"status": "ok", "database": "ok"})
    return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    @asynccontextmanager
    async def database_lifespan(_: Litestar) -> AsyncIterator[None]:
        await open_database(settings)
        try:
            yield
        finally:
            await close_database()

    return Litestar(
        route_handlers=[
            storefront_router,
            backoffice_router,
            healthz,
            create_static_files_router(
                path="/assets",
                directories=[ASSETS_DIR],
                name="assets",
                cache_control=CacheControlHeader(max_age=3600, public=True),
            ),
        ],
        lifespan=[database_lifespan],
        template_config=template_config(auto_reload=settings.debug),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_security_headers],
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            log_exceptions="never",  # unexpected errors are logged once, by web.errors
        ),
        openapi_config=None,
        debug=False,
    )

"""`create_app()`: the one place where routers, plugins, middleware and stores are wired."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

from litestar import Litestar, Request, get
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.logging import LoggingConfig
from litestar.response import Response
from litestar.static_files import create_static_files_router

from boxoffice.auth.login import SecurityPolicy
from boxoffice.backoffice.router import staff_router
from boxoffice.config import Settings, get_settings
from boxoffice.db import close_database, database_answers, open_database
from boxoffice.documents.paths import ASSETS_DIR
from boxoffice.documents.pdf import close_renderer
from boxoffice.payments.stripe_gateway import gateway_from_settings
from boxoffice.secretbox import SecretBox
from boxoffice.storefront.house import KeptHouse
from boxoffice.storefront.router import storefront_router
from boxoffice.web.dependencies import DEPENDENCIES
from boxoffice.web.errors import EXCEPTION_HANDLERS
from boxoffice.web.guards import client_ip
from boxoffice.web.observability import (
    JSON_FORMATTER,
    METRICS_CONTENT_TYPE,
    RequestObserver,
    database_metrics,
    install_request_ids,
    process_metrics,
)
from boxoffice.web.page_cache import PageCache
from boxoffice.web.paths import refuse_impossible_path_values
from boxoffice.web.security_headers import STRIPE_CHECKOUT_ORIGIN, security_headers
from boxoffice.web.sessions import STORE_NAME, DatabaseSessionStore
from boxoffice.web.templating import template_config

CSRF_COOKIE = "boxoffice_csrf"


@get("/healthz", name="healthz", cache_control=CacheControlHeader(no_store=True))
async def healthz() -> Response[dict[str, str]]:
    """For load balancers and monitoring: 200 when the database answers, 503 when it does not."""
    if await database_answers():
        return Response({"status": "ok", "database": "ok"})
    return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)


async def monitoring_networks_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not connection.app.state.settings.metrics_network_allows(client_ip(connection)):
        raise PermissionDeniedException()


@get(
    "/metrics",
    name="metrics",
    guards=[monitoring_networks_only],
    cache_control=CacheControlHeader(no_store=True),
    include_in_schema=False,
)
async def metrics(request: Request) -> Response[bytes]:
    """For Prometheus, from BOXOFFICE_METRICS_ALLOWED_NETWORKS only: every web worker's request counts and
    latencies, and the database's figures (see `web.observability`)."""
    body = process_metrics() + await database_metrics(datetime.now(UTC))
    return Response(body, media_type=METRICS_CONTENT_TYPE)


def payment_pages(settings: Settings) -> list[str]:
    """Origins a checkout form may redirect the buyer to."""
    if not settings.card_payments:
        return []
    if settings.stripe_api_base:
        parts = urlsplit(settings.stripe_api_base)
        return [STRIPE_CHECKOUT_ORIGIN, f"{parts.scheme}://{parts.netloc}"]
    return [STRIPE_CHECKOUT_ORIGIN]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    install_request_ids()

    stripe = gateway_from_settings(settings)

    @asynccontextmanager
    async def connections_lifespan(_: Litestar) -> AsyncIterator[None]:
        await open_database(settings)
        # The app's own objects live as long as the process: keep the garbage collector from walking them
        # again and again, which shows as pauses in the slowest responses.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await close_renderer()  # the PDF renderer processes, if this worker started any
            await close_database()
            if stripe is not None:
                await stripe.aclose()

    app = Litestar(
        route_handlers=[
            storefront_router,
            staff_router(settings),
            healthz,
            metrics,
            create_static_files_router(
                path="/assets",
                directories=[ASSETS_DIR],
                name="assets",
                cache_control=CacheControlHeader(max_age=3600, public=True),
            ),
        ],
        lifespan=[connections_lifespan],
        dependencies=DEPENDENCIES,
        state=State(
            {
                "settings": settings,
                "stripe": stripe,
                "page_cache": PageCache(settings.catalog_cache_seconds),
                "kept_house": KeptHouse(settings.catalog_cache_seconds),
                "secret_box": SecretBox(settings.encryption_keys),
                "security_policy": SecurityPolicy(
                    lockout_threshold=settings.lockout_threshold,
                    attempts_per_ip=settings.login_attempts_per_ip,
                    recovery_key=settings.secret_key.encode(),
                ),
            }
        ),
        stores={STORE_NAME: DatabaseSessionStore()},
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
        ),
        template_config=template_config(auto_reload=settings.debug),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[security_headers(payment_pages(settings))],
        before_request=refuse_impossible_path_values,
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            log_exceptions="never",  # unexpected errors are logged once, by web.errors
            **({"formatters": {"standard": {"()": JSON_FORMATTER}}} if settings.log_format == "json" else {}),
        ),
        openapi_config=None,
        debug=False,
    )
    # Around everything, routing and error pages included, so that every answer has its id and is counted.
    app.asgi_handler = RequestObserver(app.asgi_handler)
    return app

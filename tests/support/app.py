"""The real app over HTTP, in-process, for integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from boxoffice.app import create_app
from boxoffice.config import Settings
from boxoffice.db import close_database, open_database


@asynccontextmanager
async def app_client(settings: Settings, client_ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """The real app over HTTP, on the test's own event loop (so its database pool is the test's too).

    The database is opened and closed as the app's lifespan does: an anyio cancel scope such as
    `app.lifespan()` cannot be entered in a fixture's set-up task and left in its tear-down task.
    """
    await open_database(settings)
    transport = httpx.ASGITransport(app=create_app(settings), client=(client_ip, 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http_client:
            yield http_client
    finally:
        await close_database()

"""Settings → Security: the sign-in rules this venue runs with, read from its configuration."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from boxoffice.auth.permissions import Perm
from boxoffice.web.dependencies import AppSettings


@get("/backoffice/settings/security", name="backoffice.security", opt={"permission": Perm.SETTINGS_SECURITY})
async def security_settings(settings: AppSettings) -> Template:
    return Template("backoffice/security.html", context={"settings": settings})


ROUTES = [security_settings]

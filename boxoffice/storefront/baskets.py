"""The basket cookie: what names a buyer's holds, set when they first hold tickets or seats."""

from __future__ import annotations

from litestar.datastructures import Cookie

from boxoffice.web.dependencies import AppSettings

BASKET_COOKIE = "boxoffice_basket"


def basket_cookie(settings: AppSettings, token: str) -> Cookie:
    return Cookie(
        key=BASKET_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=24 * 3600,
        path="/",
    )

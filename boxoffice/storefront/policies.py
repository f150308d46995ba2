"""The public T&Cs and privacy policy pages: the version in effect, or any earlier one by its number,
so a buyer can read exactly what they accepted."""

from __future__ import annotations

from datetime import datetime

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Template

from boxoffice.privacy.processors import processors
from boxoffice.venue import policies
from boxoffice.venue.tables import PolicyKind
from boxoffice.web.dependencies import AppSettings


def day_of(moment: datetime) -> str:
    """'21 November 2026'."""
    return f"{moment.day} {moment:%B %Y}"


async def policy_page(kind: PolicyKind, version: int | None, extra: dict | None = None) -> Template:
    current = await policies.current_policy(kind)
    policy = current if version is None or version == current.version else None
    if policy is None and version is not None and 1 <= version < current.version:
        policy = await policies.policy_version(kind, version)
    if policy is None:
        raise NotFoundException()
    return Template(
        "storefront/policy.html",
        context={
            "title": policies.POLICY_TITLES[kind],
            "policy": policy,
            "current": current,
            "published_on": day_of(policy.published_at),
            **(extra or {}),
        },
    )


@get("/terms", name="storefront.terms")
async def terms(version: FromQuery[int | None] = None) -> Template:
    return await policy_page(PolicyKind.TERMS, version)


@get("/privacy", name="storefront.privacy")
async def privacy(settings: AppSettings, version: FromQuery[int | None] = None) -> Template:
    """The privacy policy, followed by the processors in use (the same list as Records of processing)
    and the way to the privacy centre."""
    found = processors(card_payments=settings.card_payments, smtp_host=settings.smtp_host)
    return await policy_page(PolicyKind.PRIVACY, version, {"processors": found, "privacy_centre": True})


ROUTES = [terms, privacy]

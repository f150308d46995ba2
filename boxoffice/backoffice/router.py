"""Every staff page, in one router behind the staff guard (`web.guards`): one module a menu entry, in the
order of the menus (`auth.permissions.MENUS`), then the pages every signed-in member has."""

from __future__ import annotations

from litestar import Request, Router
from litestar.response import Template

from boxoffice.backoffice import (
    account,
    audit_log,
    breaches,
    campaigns,
    checkin,
    consent_report,
    contacts,
    dashboard,
    duplicates,
    email_log,
    events,
    export,
    login,
    marketing_settings,
    orders,
    performance_seats,
    privacy_requests,
    processing,
    removals,
    reports,
    seating_plans,
    security,
    sell,
    storefront_settings,
    tags,
    till,
    users_and_roles,
    venues,
)
from boxoffice.crm.records import ContactGone
from boxoffice.web.dependencies import AppSettings
from boxoffice.web.errors import error_page
from boxoffice.web.guards import LoginRequired, redirect_to_login, staff_guard
from boxoffice.web.sessions import session_config

MENU_PAGES = (
    # Box office
    sell,
    orders,
    till,
    # CRM
    contacts,
    export,
    removals,
    tags,
    duplicates,
    privacy_requests,
    breaches,
    users_and_roles,
    # Marketing
    campaigns,
    consent_report,
    processing,
    marketing_settings,
    # Events, Reports, Settings, Check-in, Audit log
    events,
    performance_seats,
    venues,
    reports,
    seating_plans,
    storefront_settings,
    security,
    email_log,
    checkin,
    audit_log,
)
EVERY_MEMBERS_PAGES = (login, dashboard, account)


def contact_gone(request: Request, exc: ContactGone) -> Template:
    """A missing or removed contact, wherever a page asks for one: the page is not found."""
    return error_page(404)


def staff_router(settings: AppSettings) -> Router:
    return Router(
        path="/",
        route_handlers=[handler for page in (*EVERY_MEMBERS_PAGES, *MENU_PAGES) for handler in page.ROUTES],
        guards=[staff_guard],
        middleware=[
            session_config(
                idle_minutes=settings.staff_idle_minutes, secure=settings.secure_cookies
            ).middleware
        ],
        response_headers={"Cache-Control": "no-store"},
        exception_handlers={LoginRequired: redirect_to_login, ContactGone: contact_gone},
    )

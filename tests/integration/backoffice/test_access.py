"""Who may open what: declared permissions, the role-by-route matrix, CSRF, the staff allow-list."""

from __future__ import annotations

import re
from dataclasses import replace
from ipaddress import ip_network

import pytest
from litestar.routes import HTTPRoute

from boxoffice.app import create_app
from boxoffice.auth.permissions import Perm, holds
from boxoffice.auth.roles import BUILTIN_ROLES
from boxoffice.auth.tables import StaffUser
from boxoffice.config import get_settings
from tests.support.app import app_client
from tests.support.staff import PASSWORD, make_staff, sign_in

STAFF_PREFIXES = ("/backoffice", "/crm", "/marketing")
# Callers that cannot hold our CSRF cookie, each verifying its own signature instead: Stripe signs its
# webhook calls, and mail programs' RFC 8058 one-click unsubscribe POSTs carry our signed token.
CSRF_EXEMPT_ROUTES = {"/webhooks/stripe", "/unsubscribe/{token:str}"}


def staff_handlers():
    for route in create_app().routes:
        if isinstance(route, HTTPRoute) and route.path.startswith(STAFF_PREFIXES):
            for handler in route.route_handlers:
                if not set(handler.http_methods) <= {"OPTIONS", "HEAD"}:
                    yield route.path, handler


def test_every_staff_route_declares_a_permission():
    undeclared = [
        f"{path} {sorted(handler.http_methods)}"
        for path, handler in staff_handlers()
        if not isinstance(handler.opt.get("permission"), Perm)
    ]
    assert undeclared == []


def test_only_the_known_routes_skip_csrf_checks():
    app = create_app()
    exempt = {
        route.path
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.opt.get(app.csrf_config.exclude_from_csrf_key)
    }
    assert exempt == CSRF_EXEMPT_ROUTES
    assert not app.csrf_config.exclude


def page_routes() -> list[tuple[str, Perm]]:
    """Staff pages that need nothing but a signed-in session with the right role to open."""
    return sorted(
        {
            (path, handler.opt["permission"])
            for path, handler in staff_handlers()
            if "GET" in handler.http_methods and "{" not in path and handler.opt["permission"] != Perm.PUBLIC
        }
    )


@pytest.mark.parametrize("role", BUILTIN_ROLES, ids=lambda role: role.key)
async def test_each_built_in_role_opens_exactly_the_pages_it_holds(client, role):
    staff = await make_staff(role.key)
    await sign_in(client, staff)

    outcomes = {path: (await client.get(path)).status_code for path, _ in page_routes()}

    expected = {
        path: 200 if holds(role.permissions, permission) else 403 for path, permission in page_routes()
    }
    assert outcomes == expected
    assert len(expected) >= 5


async def test_door_staff_see_only_check_in_in_their_menu(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)

    page = (await client.get("/backoffice/")).text

    menu = re.search(r'<nav aria-label="Staff"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", menu) == ["Check-in"]


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)

    refused = await client.post("/backoffice/logout")
    assert refused.status_code == 403
    assert (await client.get("/backoffice/checkin")).status_code == 200  # still signed in

    forged = await client.post("/backoffice/logout", data={"_csrf_token": "forged"})
    assert forged.status_code == 403

    page = (await client.get("/backoffice/checkin")).text
    token = re.search(r'"x-csrftoken": "([^"]+)"', page).group(1)
    via_htmx = await client.post("/backoffice/logout", headers={"x-csrftoken": token, "HX-Request": "true"})
    assert via_htmx.status_code == 303


async def test_login_without_the_csrf_token_is_refused(client):
    door = await make_staff("door_staff", enrolled=False)
    response = await client.post("/backoffice/login", data={"email": door.email, "password": PASSWORD})
    assert response.status_code == 403
    assert (await StaffUser.select(StaffUser.last_login_at).where(StaffUser.id == door.id).first())[
        "last_login_at"
    ] is None


@pytest.mark.parametrize("path", ["/backoffice/login", "/backoffice/", "/backoffice/audit"])
async def test_staff_pages_answer_403_outside_the_allowed_networks(database, path):
    settings = replace(get_settings(), staff_allowed_networks=(ip_network("10.0.0.0/8"),))
    async with app_client(settings, client_ip="192.0.2.10") as outsider:
        assert (await outsider.get(path)).status_code == 403
        assert (await outsider.get("/")).status_code == 200  # the storefront stays open
    async with app_client(settings, client_ip="10.1.2.3") as insider:
        assert (await insider.get("/backoffice/login")).status_code == 200


async def test_staff_pages_are_never_cached(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)
    assert (await client.get("/backoffice/checkin")).headers["cache-control"] == "no-store"

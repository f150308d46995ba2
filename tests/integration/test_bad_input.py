"""Bad input in addresses and forms: every path parameter of every route is sent values no record could
have, every public page is sent filters and cursors no one could mean, and ids and dates no record could
have are typed into forms. Each is answered with a page (not
found, or the form's own message), never a server error.

The route table drives the first test, so a route added later is covered without touching it."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar.routes import HTTPRoute

from boxoffice.app import create_app
from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.tables import Tag
from boxoffice.web.paths import refuse_impossible_path_values
from tests.support.staff import csrf_token, make_staff, post_form, sign_in

HUGE = "99999999999999999999"  # beyond a 64-bit integer, let alone a 32-bit id column
FAR_FUTURE = "9999-12-31"  # a real date whose next day Python cannot represent
PATH_PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
OUT_OF_RANGE_IDS = [HUGE, str(2**63), str(2**31), "0", "-1"]
HOSTILE_TEXT = [
    "%C3%A9",  # é
    "%F0%9F%8E%AD",  # an emoji
    "%00",
    "a%00b.css",
    "%FF%FE",  # not UTF-8
    "..%2F..%2Fetc%2Fpasswd",
    "x" * 3000,
    "%27%22%3C",  # ' " <
]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SKIPPED = {"/backoffice/logout"}  # it would end the signed-in walk half-way


def routes_with_path_parameters() -> list[tuple[str, str]]:
    """Each (path template, method) the app serves with at least one path parameter."""
    found = set()
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute) or not PATH_PARAMETER.search(route.path) or route.path in SKIPPED:
            continue
        for handler in route.route_handlers:
            found |= {(route.path, method) for method in handler.http_methods - {"HEAD", "OPTIONS"}}
    return sorted(found)


def addresses(path: str) -> list[tuple[str, str, bool]]:
    """The path with each of its parameters in turn made hostile (the others plausible): (address, the
    value sent, whether it is an id out of range)."""
    made = []
    parameters = PATH_PARAMETER.findall(path)
    for name, kind in parameters:
        values = [(value, True) for value in OUT_OF_RANGE_IDS] if kind == "int" else []
        values += [(value, False) for value in HOSTILE_TEXT]
        for value, out_of_range in values:
            address = path
            for other, other_kind in parameters:
                plausible = "1" if other_kind == "int" else "x"
                address = address.replace(f"{{{other}:{other_kind}}}", value if other == name else plausible)
            made.append((address, value, out_of_range))
    return made


async def walk(client: httpx.AsyncClient, token: str) -> tuple[list[str], list[str]]:
    """Every route and hostile value: the requests answered with a server error, and the out-of-range
    ids answered with anything but 404 (only meaningful for a client allowed to reach every route)."""
    errors, not_found_missed = [], []
    for path, method in routes_with_path_parameters():
        for address, value, out_of_range in addresses(path):
            data = {"_csrf_token": token} if method in UNSAFE else None
            response = await client.request(method, address, data=data)
            if response.status_code >= 500:
                errors.append(f"{method} {address[:120]} -> {response.status_code}")
            if out_of_range and response.status_code != 404:
                not_found_missed.append(f"{method} {path} with {value} -> {response.status_code}")
    return errors, not_found_missed


def test_every_route_keeps_the_one_bound_on_path_values():
    """Litestar runs only the nearest layer's before_request: a router or route setting its own would
    silently drop the app-wide bound."""
    hooks = {
        handler.resolve_before_request().func
        for route in create_app().routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
    }
    assert hooks == {refuse_impossible_path_values}


async def test_no_path_value_makes_a_server_error_for_a_visitor(client):
    token = await csrf_token(client, "/backoffice/login")

    errors, _ = await walk(client, token)

    assert errors == []
    assert len(routes_with_path_parameters()) >= 40


async def test_no_path_value_makes_a_server_error_and_ids_out_of_range_name_nothing_for_an_admin(client):
    await sign_in(client, await make_staff("admin"))
    token = await csrf_token(client, "/crm/tags")

    errors, not_found_missed = await walk(client, token)

    assert errors == []
    assert not_found_missed == []


HOSTILE_PAGES = ["0", "-1", str(10**30), "abc", "%D9%A3", "%C2%B2", "1.5", "+2", "%00", "x" * 3000, "1e9"]
PAGED_LISTS = {
    "/crm/contacts",
    "/crm/duplicates",
    "/backoffice/orders",
    "/backoffice/audit",
    "/backoffice/email-log",
    "/marketing/campaigns",
}


def paged_lists() -> list[str]:
    """Every page the app serves at a fixed address that takes a `page` number in its query."""
    return sorted(
        route.path
        for route in create_app().routes
        if isinstance(route, HTTPRoute) and not PATH_PARAMETER.search(route.path)
        for handler in route.route_handlers
        if "GET" in handler.http_methods and "page" in handler.parsed_fn_signature.parameters
    )


async def test_no_page_number_makes_a_server_error_or_a_bare_refusal_on_any_list(client):
    await sign_in(client, await make_staff("admin"))

    answers = {
        (path, page): (await client.get(f"{path}?page={page}")).status_code
        for path in paged_lists()
        for page in HOSTILE_PAGES
    }

    assert set(answers.values()) == {200}, answers
    assert set(paged_lists()) >= PAGED_LISTS


QUERY_PARAMETERS = ["day", "month", "when", "venue", "after", "before", "page", "q", "since", "until"]
ARABIC_INDIC_YEAR = "%D9%A2%D9%A0%D9%A2%D9%A6"  # 2026 in other digits
HOSTILE_QUERY_VALUES = [*HOSTILE_TEXT, HUGE, FAR_FUTURE, "2026-02-30", "99999-01-01", ARABIC_INDIC_YEAR]


def public_pages_without_path_parameters() -> list[str]:
    return sorted(
        route.path
        for route in create_app().routes
        if isinstance(route, HTTPRoute)
        and not PATH_PARAMETER.search(route.path)
        and any("GET" in handler.http_methods for handler in route.route_handlers)
        and not route.path.startswith(("/backoffice", "/crm", "/marketing", "/assets", "/webhooks"))
    )


async def test_no_query_value_makes_a_server_error_on_a_public_page(client):
    """Every public page, with the filters and cursors pages read set to values no one could mean."""
    errors = []
    pages = public_pages_without_path_parameters()
    for path in pages:
        for name in QUERY_PARAMETERS:
            for value in HOSTILE_QUERY_VALUES:
                response = await client.get(f"{path}?{name}={value}&{name}=again")
                if response.status_code >= 500:
                    errors.append(f"GET {path}?{name}={value[:40]} -> {response.status_code}")

    assert errors == []
    assert {"/", "/calendar"} <= set(pages)


@pytest.mark.parametrize(
    "path", ["/performances/99999999999999999999", "/booking/AB12/%C3%A9", "/assets/css/%00.css"]
)
async def test_addresses_no_record_could_have_are_not_found(client, path):
    response = await client.get(path)

    assert response.status_code == 404
    assert "Page not found" in response.text


async def test_a_staff_address_with_an_id_past_64_bits_is_not_found(client):
    await sign_in(client, await make_staff("admin"))

    response = await client.get("/backoffice/email-log/99999999999999999999")

    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.fixture
async def admin_client(client):
    await sign_in(client, await make_staff("admin"))
    return client


def page_text(response: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (f"/backoffice/till?day={FAR_FUTURE}", "The day is not a date such as 2026-11-21; showing today."),
        (f"/backoffice/till?operator={HUGE}", "That operator is not on the list; showing everyone."),
        (
            f"/backoffice/audit?since={FAR_FUTURE}&until={FAR_FUTURE}",
            "From is not a date such as 2026-11-21; it was ignored.",
        ),
        (
            f"/marketing/campaigns/audience?purchased_from={FAR_FUTURE}&purchased_until={FAR_FUTURE}",
            "Enter a date such as 2026-11-21.",
        ),
        (f"/marketing/campaigns/audience?tag={HUGE}", "Choose a tag from the list."),
    ],
)
async def test_far_dates_and_huge_ids_in_a_query_are_shown_as_problems(admin_client, path, problem):
    response = await admin_client.get(path)

    assert response.status_code == 200
    assert problem in page_text(response)


@pytest.mark.parametrize(
    "path",
    [
        f"/backoffice/tickets/{HUGE[:12]}/reprint",
        f"/crm/contacts/{HUGE[:12]}/tags/1/remove",
        f"/crm/contacts/1/tags/{HUGE[:12]}/remove",
        f"/crm/contacts/{HUGE[:12]}/remove",
        f"/crm/tags/{HUGE[:12]}/rename",
        f"/crm/tags/{HUGE[:12]}/delete",
    ],
)
async def test_an_id_no_record_could_have_is_not_found_and_changes_nothing(admin_client, path):
    await Tag(name="Friends").save()
    audited = await AuditEntry.count()

    response = await post_form(
        admin_client, path, {"name": "Renamed", "confirm": "yes"}, form_page="/backoffice/"
    )

    assert response.status_code == 404
    assert [row["name"] for row in await Tag.select(Tag.name)] == ["Friends"]
    assert await AuditEntry.count() == audited

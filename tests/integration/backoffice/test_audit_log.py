"""The audit log records security events, and staff with the permission can search it a page at a time."""

from __future__ import annotations

import pytest

from boxoffice.auth import audit
from boxoffice.auth.tables import AuditEntry
from tests.support.pager import read_pager
from tests.support.staff import PASSWORD, make_staff, post_form, sign_in


async def test_logins_and_failures_are_recorded_with_address_and_no_typed_secrets(client):
    door = await make_staff("door_staff", enrolled=False)
    await post_form(
        client, "/backoffice/login", {"email": "stranger@example.org", "password": "guess guess guess"}
    )
    await post_form(client, "/backoffice/login", {"email": door.email, "password": "wrong wrong wrong"})
    await sign_in(client, door)

    rows = await AuditEntry.select().order_by(AuditEntry.id)
    actions = [(row["action"], row["object_id"], row["ip"]) for row in rows]
    assert ("login.failed", "", "127.0.0.1") in actions
    assert ("login.failed", str(door.id), "127.0.0.1") in actions
    assert ("login.succeeded", str(door.id), "127.0.0.1") in actions
    everything = repr(rows)
    assert "stranger@example.org" not in everything and "guess guess" not in everything
    assert PASSWORD not in everything and "wrong wrong" not in everything


async def test_the_audit_log_filters_by_person_action_and_date(client):
    admin = await make_staff("admin")
    door = await make_staff("door_staff", enrolled=False, name="Dora Door")
    await post_form(client, "/backoffice/login", {"email": door.email, "password": "wrong wrong wrong"})
    await sign_in(client, admin)

    by_action = (await client.get("/backoffice/audit", params={"action": "login.failed"})).text
    assert by_action.count("<td>login.failed</td>") == 1 and "login.succeeded</td>" not in by_action

    by_person = (await client.get("/backoffice/audit", params={"actor": str(admin.id)})).text
    assert "<td>login.succeeded</td>" in by_person and "login.failed</td>" not in by_person

    long_ago = (await client.get("/backoffice/audit", params={"until": "2001-01-01"})).text
    assert "Nothing matches these filters." in long_ago


async def test_unreadable_filters_are_ignored_with_a_message(client):
    admin = await make_staff("admin")
    await sign_in(client, admin)

    page = await client.get("/backoffice/audit", params={"since": "yesterday", "actor": "<script>"})

    assert page.status_code == 200
    assert "From is not a date such as 2026-11-21; it was ignored." in page.text
    assert "<script>" not in page.text
    assert "<td>login.succeeded</td>" in page.text


async def test_the_audit_log_says_how_many_entries_match_and_its_pages_keep_the_filters(client):
    admin = await make_staff("admin")
    for number in range(120):
        await audit.record(
            "tag.created" if number % 2 else "tag.deleted",
            actor_id=admin.id,
            ip="10.0.0.1",
            object_type="tag",
            object_id=number,
        )
    await sign_in(client, admin)
    filters = {"action": "tag.created", "actor": str(admin.id), "since": "2000-01-01", "until": ""}

    first = await client.get("/backoffice/audit", params=filters)
    pager = read_pager(first.text)
    last = await client.get(pager.links["Last"])

    assert pager.summary == "Showing 1–50 of 60" and pager.current == "1"
    assert (
        pager.links["Next"]
        == f"/backoffice/audit?action=tag.created&actor={admin.id}&since=2000-01-01&page=2"
    )
    assert pager.links["Last"] == pager.links["Next"]
    assert "tag 119" in first.text and "tag 21<" in first.text and "tag 19<" not in first.text
    assert read_pager(last.text).summary == "Showing 51–60 of 60"
    assert (
        "tag 19<" in last.text
        and "tag 1<" in last.text
        and "tag.deleted" not in last.text.split("<tbody>")[1]
    )
    assert "Older" not in first.text  # the pager replaced the old "Newer / Older" links


@pytest.mark.parametrize("page", ["0", "-1", "abc", "٣", str(10**30)])
async def test_a_page_number_out_of_range_shows_the_first_or_last_page(client, page):
    admin = await make_staff("admin")
    for number in range(70):
        await audit.record("tag.created", actor_id=admin.id, ip="", object_type="tag", object_id=number)
    await sign_in(client, admin)

    response = await client.get("/backoffice/audit", params={"action": "tag.created", "page": page})

    assert response.status_code == 200
    expected = "Showing 51–70 of 70" if page == str(10**30) else "Showing 1–50 of 70"
    assert read_pager(response.text).summary == expected


async def test_a_staff_member_no_id_could_name_is_ignored_with_a_message(client):
    await sign_in(client, await make_staff("admin"))

    response = await client.get("/backoffice/audit", params={"actor": "99999999999999999999"})

    assert response.status_code == 200
    assert "Unknown staff member; showing everyone." in response.text
    assert "<td>login.succeeded</td>" in response.text

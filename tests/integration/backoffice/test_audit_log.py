"""The audit log records security events, and staff with the permission can search it."""

from __future__ import annotations

from boxoffice.auth.tables import AuditEntry
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

"""Staff change their own password; their other sessions end, the one they used goes on."""

from __future__ import annotations

import httpx

from boxoffice.auth.tables import AuditEntry
from tests.support.staff import PASSWORD, make_staff, post_form, sign_in

NEW_PASSWORD = "a different long passphrase"


async def change(
    client: httpx.AsyncClient, current: str, new: str, confirm: str | None = None
) -> httpx.Response:
    return await post_form(
        client,
        "/backoffice/account/password",
        {"current_password": current, "new_password": new, "confirm_password": confirm or new},
        form_page="/backoffice/account",
    )


async def test_changing_the_password_ends_other_sessions_but_not_this_one(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other_device:
        await sign_in(other_device, door)

        response = await change(client, PASSWORD, NEW_PASSWORD)

        assert response.status_code == 200 and "Your password has been changed." in response.text
        assert (await client.get("/backoffice/account")).status_code == 200
        assert (await other_device.get("/backoffice/account")).status_code == 303
    assert await AuditEntry.exists().where(AuditEntry.action == "staff.password_changed")
    client.cookies.clear()
    door.password = NEW_PASSWORD
    await sign_in(client, door)


async def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)

    wrong = await change(client, "not my password at all", NEW_PASSWORD)
    weak = await change(client, PASSWORD, "short")
    mismatch = await change(client, PASSWORD, NEW_PASSWORD, confirm="something else entirely")

    assert wrong.status_code == 400 and "Your current password is not right." in wrong.text
    assert weak.status_code == 400 and "Use at least 12 characters." in weak.text
    assert mismatch.status_code == 400 and "differ" in mismatch.text
    assert not await AuditEntry.exists().where(AuditEntry.action == "staff.password_changed")


async def test_the_security_page_shows_the_settings_in_force(client):
    await sign_in(client, await make_staff("admin"))
    page = (await client.get("/backoffice/settings/security")).text
    assert "<td>30 minutes</td>" in page and "<td>12 hours</td>" in page and "<td>10</td>" in page

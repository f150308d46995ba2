from tests.support.staff import make_staff, sign_in


async def test_admin_signs_in_and_sees_dashboard(client):
    admin = await make_staff("admin")
    await sign_in(client, admin)
    page = await client.get("/backoffice/")
    assert page.status_code == 200, page.text
    assert "Audit log" in page.text

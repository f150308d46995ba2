"""Ids and dates no record could have, typed into addresses and forms across the staff pages: each is
answered with a page (not found, or the form's own message), never a server error."""

from __future__ import annotations

import pytest

from tests.support.staff import make_staff, post_form, sign_in

HUGE = "99999999999999999999"  # beyond a 64-bit integer, let alone a 32-bit id column
FAR_FUTURE = "9999-12-31"  # a real date whose next day Python cannot represent


@pytest.fixture
async def admin_client(client):
    await sign_in(client, await make_staff("admin"))
    return client


@pytest.mark.parametrize(
    "path",
    [
        f"/backoffice/till?day={FAR_FUTURE}",
        f"/backoffice/till?operator={HUGE}",
        f"/backoffice/audit?since={FAR_FUTURE}&until={FAR_FUTURE}",
        f"/marketing/campaigns/audience?purchased_from={FAR_FUTURE}&purchased_until={FAR_FUTURE}",
        f"/marketing/campaigns/audience?tag={HUGE}",
    ],
)
async def test_far_dates_and_huge_ids_in_a_query_are_shown_as_problems(admin_client, path):
    response = await admin_client.get(path)

    assert response.status_code < 500, response.text


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
async def test_an_id_no_record_could_have_is_not_found(admin_client, path):
    response = await post_form(
        admin_client, path, {"name": "Friends", "confirm": "yes"}, form_page="/backoffice/"
    )

    assert response.status_code < 500, response.text
    assert response.status_code in (303, 400, 404, 410)

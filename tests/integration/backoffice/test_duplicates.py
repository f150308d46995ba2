"""CRM → Duplicates through HTTP: the groups are counted and paged, and staff who hold the Duplicates menu
mark a pair as not one person for good, with the form's CSRF token; the merge page still opens."""

from __future__ import annotations

import re

import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.tables import Contact, DismissedDuplicate
from tests.support.pager import read_pager
from tests.support.staff import csrf_token, make_staff, post_form, sign_in

DISMISS_FORM = re.compile(
    r'name="first" value="(\d+)"><input type="hidden" name="second" value="(\d+)">'
    r'<input type="hidden" name="page" value="(\d+)">'
)


async def twins(count: int) -> list[tuple[int, int]]:
    """`count` pairs of contacts that share an e-mail address (in other case), in the list's order."""
    pairs = []
    for number in range(count):
        first, second = (
            Contact(first_name="Ada", last_name=f"Twin{number:02}", email=f"{case}{number:02}@example.org")
            for case in ("twin", "TWIN")
        )
        await first.save()
        await second.save()
        pairs.append((first.id, second.id))
    return pairs


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_list_says_how_many_groups_there_are_and_pages_them(client):
    pairs = await twins(45)
    await sign_in(client, await make_staff("admin"))

    first = await client.get("/crm/duplicates")
    pager = read_pager(first.text)
    assert "45 groups of likely duplicates." in text(first.text)
    assert pager.label == "Pages of likely duplicates"
    assert pager.summary == "Showing 1–20 of 45"
    assert pager.current == "1" and list(pager.links) == ["1", "2", "3", "Next", "Last"]
    assert first.text.count('<section class="duplicate-group"') == 20
    assert f"keep={pairs[19][0]}&amp;merge={pairs[19][1]}" in first.text
    assert f"keep={pairs[20][0]}&amp;merge={pairs[20][1]}" not in first.text

    last = await client.get(pager.links["Last"])
    assert pager.links["Last"] == "/crm/duplicates?page=3"
    assert read_pager(last.text).summary == "Showing 41–45 of 45"
    assert read_pager(last.text).current == "3"
    assert last.text.count('<section class="duplicate-group"') == 5
    assert f"keep={pairs[44][0]}&amp;merge={pairs[44][1]}" in last.text


async def test_a_pair_marked_not_the_same_person_never_shows_again(client):
    pairs = await twins(22)
    admin = await make_staff("admin")
    await sign_in(client, admin)
    second_page = await client.get("/crm/duplicates", params={"page": "2"})
    [(first_id, second_id, page)] = DISMISS_FORM.findall(second_page.text)[:1]
    assert (int(first_id), int(second_id), page) == (*pairs[20], "2")
    assert f"Contacts {first_id} and {second_id} are not the same person" in second_page.text

    response = await client.post(
        "/crm/duplicates/dismiss",
        data={
            "first": first_id,
            "second": second_id,
            "page": page,
            "_csrf_token": await csrf_token(client, "/crm/duplicates?page=2"),
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/crm/duplicates?done=dismissed&page=2"
    after = await client.get(response.headers["location"])
    assert "The two contacts will not be offered as duplicates again." in after.text
    assert read_pager(after.text).summary == "Showing 21–21 of 21"
    assert f"keep={first_id}&amp;merge={second_id}" not in after.text
    everywhere = "".join([(await client.get("/crm/duplicates", params={"page": n})).text for n in "12"])
    assert f"merge={second_id}" not in everywhere and f"merge={first_id}" not in everywhere
    [entry] = await AuditEntry.select(AuditEntry.actor, AuditEntry.object_id).where(
        AuditEntry.action == "contact.duplicate_dismissed"
    )
    assert entry == {"actor": admin.id, "object_id": first_id}

    review = await client.get("/crm/duplicates/merge", params={"keep": first_id, "merge": second_id})
    assert review.status_code == 200 and f"Merge contact {second_id} into contact {first_id}" in review.text


async def test_dismissing_the_last_pair_of_the_last_page_shows_the_page_before(client):
    await twins(21)
    await sign_in(client, await make_staff("admin"))
    [(first_id, second_id, page)] = DISMISS_FORM.findall(
        (await client.get("/crm/duplicates", params={"page": "2"})).text
    )

    response = await post_form(
        client,
        "/crm/duplicates/dismiss",
        {"first": first_id, "second": second_id, "page": page},
        form_page="/crm/duplicates?page=2",
    )
    after = await client.get(response.headers["location"])

    assert after.status_code == 200
    assert read_pager(after.text).summary == "Showing 1–20 of 20"
    assert "That page is past the end of the list" in after.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"first": "1", "second": "1"}, "Choose two different contacts."),
        ({"first": "x", "second": ""}, "Choose the two contacts that are not one person."),
        (
            {"first": "1", "second": "99999999999999999999"},
            "Choose the two contacts that are not one person.",
        ),
        (
            {"first": "1", "second": "2147483647"},
            "One of these contacts no longer exists or has been removed.",
        ),
    ],
)
async def test_a_dismissal_that_names_no_pair_is_refused_with_a_message(client, form, message):
    await twins(1)
    await sign_in(client, await make_staff("admin"))

    response = await post_form(client, "/crm/duplicates/dismiss", form, form_page="/crm/duplicates")

    assert response.status_code == 400
    assert message in response.text
    assert await DismissedDuplicate.count() == 0


async def test_only_staff_with_the_duplicates_menu_dismiss_and_only_with_the_csrf_token(client):
    [(first_id, second_id)] = await twins(1)
    await sign_in(client, await make_staff("marketing"))  # contacts and export, not duplicates
    token = await csrf_token(client, "/crm/contacts")

    refused = await client.post(
        "/crm/duplicates/dismiss",
        data={"first": str(first_id), "second": str(second_id), "_csrf_token": token},
    )
    listing = await client.get("/crm/duplicates")

    assert refused.status_code == 403 and listing.status_code == 403
    await client.post("/backoffice/logout", data={"_csrf_token": token})
    await sign_in(client, await make_staff("admin"))
    forged = await client.post(
        "/crm/duplicates/dismiss", data={"first": str(first_id), "second": str(second_id)}
    )
    assert forged.status_code == 403
    assert await DismissedDuplicate.count() == 0
    assert await AuditEntry.count().where(AuditEntry.action == "contact.duplicate_dismissed") == 0

"""Marketing > Settings: both marketing questions' switches and wordings in one place, a version for every
real change and only for real ones, refused input, and who may save."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.marketing.questions import current_question
from boxoffice.marketing.tables import ConsentQuestion, QuestionKind
from tests.support import staff as support
from tests.support.forms import FormReader
from tests.support.staff import make_staff, post_form, sign_in

PAGE = "/marketing/settings"


async def page_form(client: httpx.AsyncClient, **changes: str | None) -> dict[str, str]:
    page = await client.get(PAGE)
    assert page.status_code == 200, page.text
    reader = FormReader()
    reader.feed(page.text)
    form = {**reader.fields, **changes}
    return {name: value for name, value in form.items() if value is not None}


async def save(client: httpx.AsyncClient, **changes: str | None) -> httpx.Response:
    return await post_form(client, PAGE, await page_form(client, **changes))


async def question_changes() -> list[tuple]:
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.detail, AuditEntry.actor).where(
        AuditEntry.action == "consent_question.changed"
    )
    return [(row["action"], json.loads(row["detail"]), row["actor"]) for row in rows]


@pytest.fixture
async def marketer(client: httpx.AsyncClient) -> support.TestStaff:
    staff = await make_staff("marketing", name="Mo Marketing")
    await sign_in(client, staff)
    return staff


async def test_both_questions_are_shown_together_as_in_effect(client, marketer):
    online, box_office = (
        await current_question(QuestionKind.ONLINE),
        await current_question(QuestionKind.BOX_OFFICE),
    )

    form = await page_form(client)

    assert form == {
        "online_question_enabled": "yes",
        "online_question_text": online.text,
        "box_office_question_enabled": "yes",
        "box_office_question_text": box_office.text,
    }
    page = (await client.get(PAGE)).text
    assert "Marketing question online" in page and "Marketing question in the back office" in page
    assert page.count("In use: version 1.") == 2


async def test_a_changed_wording_adds_version_2_and_keeps_version_1(client, marketer):
    await client.get(PAGE)  # version 1 is in place, as a buyer would have seen it

    response = await save(
        client,
        online_question_text="  Yes, e-mail me\r\n about new shows. ",
        box_office_question_enabled=None,
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/marketing/settings?done=saved"
    online = (
        await ConsentQuestion.select()
        .where(ConsentQuestion.kind == "online")
        .order_by(ConsentQuestion.version)
    )
    assert [(row["version"], row["text"], row["enabled"]) for row in online] == [
        (1, "Yes, please e-mail me about upcoming shows, events and offers.", True),
        (2, "Yes, e-mail me about new shows.", True),
    ]
    assert online[1]["created_by"] == marketer.id
    box_office = (
        await ConsentQuestion.select()
        .where(ConsentQuestion.kind == "box_office")
        .order_by(ConsentQuestion.version)
    )
    assert [(row["version"], row["enabled"]) for row in box_office] == [(1, True), (2, False)]
    assert box_office[0]["text"] == box_office[1]["text"]
    online, box_office = (
        await current_question(QuestionKind.ONLINE),
        await current_question(QuestionKind.BOX_OFFICE),
    )
    assert (online.version, online.text) == (
        2,
        "Yes, e-mail me about new shows.",
    )
    assert box_office.enabled is False
    assert await question_changes() == [
        ("consent_question.changed", {"kind": "online", "version": 2, "enabled": True}, marketer.id),
        ("consent_question.changed", {"kind": "box_office", "version": 2, "enabled": False}, marketer.id),
    ]
    page = (await client.get(response.headers["location"])).text
    assert "The marketing settings have been saved." in page
    assert "Yes, please e-mail me about upcoming shows, events and offers." in page  # in the history
    assert "In use: version 2." in page

    again = await save(client)
    assert again.status_code == 303
    assert await ConsentQuestion.count() == 4


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"online_question_text": "   "},
            "online_question_text",
            "Enter the wording of the online marketing question.",
        ),
        (
            {"box_office_question_text": ""},
            "box_office_question_text",
            "Enter the wording of the back-office marketing question.",
        ),
        (
            {"online_question_text": "x" * 501},
            "online_question_text",
            "Use at most 500 characters for the wording of the online marketing question.",
        ),
    ],
)
async def test_refused_wording_re_renders_with_the_message_and_saves_nothing(
    client, marketer, changes, field, message
):
    form = await page_form(client, box_office_question_enabled=None, **changes)
    before = await ConsentQuestion.count()

    response = await post_form(client, PAGE, form)

    assert response.status_code == 400
    assert f'<p class="error" id="error-{field}">{message}</p>' in response.text
    assert await ConsentQuestion.count() == before
    assert await question_changes() == []
    unticked = re.search(r'<input id="field-box_office_question_enabled"[^>]*>', response.text).group(0)
    assert " checked" not in unticked  # the box is shown as it was sent


async def test_staff_without_the_permission_can_neither_open_nor_save_it(client):
    operator = await make_staff("box_office_operator", enrolled=False)
    await sign_in(client, operator)

    assert (await client.get(PAGE)).status_code == 403
    refused = await post_form(
        client,
        PAGE,
        {"online_question_text": "Forged", "box_office_question_text": "Forged"},
        form_page="/backoffice/",
    )

    assert refused.status_code == 403
    assert (await current_question(QuestionKind.ONLINE)).version == 1
    assert await question_changes() == []

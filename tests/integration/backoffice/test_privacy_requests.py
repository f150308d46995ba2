"""CRM > Privacy requests: logging a request from a letter or call, its deadline and its one extension,
acting on it (export, correct, restrict, remove, stop marketing) from its page, the dashboard panel and
the daily e-mail to the staff who handle them, and who may open or give the register."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime, timedelta

from boxoffice.auth import roles
from boxoffice.auth.delegation import DelegationRefused
from boxoffice.auth.permissions import Perm
from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.crm.tables import Contact
from boxoffice.marketing.consent import consent_status, record_consent
from boxoffice.privacy.requests import REGISTER_PAGE_SIZE, NewRequest, log_request, send_due_digest
from boxoffice.privacy.tables import PrivacyRequest, RequestAction
from tests.support.pager import read_pager
from tests.support.privacy_centre import deliver, messages_to, text_of
from tests.support.shop import paid_order
from tests.support.staff import make_staff, make_staff_on, post_form, sign_in
from tests.support.worker import worker_env, worker_process

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def log(client, **fields) -> str:
    """Log a request through the form; the address of its page."""
    answer = await post_form(
        client,
        "/crm/privacy-requests/new",
        {
            "kind": "access",
            "channel": "letter",
            "identity_check": "Signature matches the one on file",
            "received_on": datetime.now(UTC).date().isoformat(),
            **fields,
        },
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0]


async def test_staff_log_a_letter_and_answer_it_from_the_request(client):
    admin = await make_staff("admin", name="Rita Register")
    contact_id = await upsert_contact(
        ContactDetails("Perdita", "Quixley", "pq@example.org", "0117 496 0123"), NOW
    )
    await record_consent(
        contact_id=contact_id, channel="email", granted=True, source="online_checkout", wording="Yes", now=NOW
    )
    await sign_in(client, admin)
    received = date(2026, 1, 31)

    page = await log(client, contact=str(contact_id), received_on=received.isoformat(), kind="rectification")

    shown = (await client.get(page)).text
    assert "Perdita Quixley" in shown and "2026-02-28" in shown and "Signature matches" in shown
    request_id = int(page.rsplit("/", 1)[1])
    exported = await client.get(f"{page}/export.json")
    assert json.loads(exported.content)["contact"]["email"] == "pq@example.org"
    assert (await client.get(f"{page}/export.pdf")).content.startswith(b"%PDF")
    corrected = await post_form(
        client,
        f"{page}/correct",
        {
            "first_name": "Perdita",
            "last_name": "Quixley-Byron",
            "email": "pq@example.org",
            "phone": "0117 496 0123",
            "postcode": "",
        },
        form_page=page,
    )
    assert corrected.status_code == 303
    assert (await Contact.select(Contact.last_name).where(Contact.id == contact_id).first())[
        "last_name"
    ] == "Quixley-Byron"
    assert (await post_form(client, f"{page}/restrict", {}, form_page=page)).status_code == 303
    assert (await post_form(client, f"{page}/objection", {}, form_page=page)).status_code == 303
    assert (await consent_status(contact_id))["email"] is False
    sent = await post_form(
        client, f"{page}/sent", {"detail": "Posted the export and the corrected record"}, form_page=page
    )
    assert sent.status_code == 303
    closed = await post_form(
        client, f"{page}/close", {"outcome": "done", "close_detail": "All answered"}, form_page=page
    )
    assert closed.status_code == 303

    actions = [
        row["action"] for row in await RequestAction.select(RequestAction.action).order_by(RequestAction.id)
    ]
    assert actions == [
        "exported",
        "exported",
        "corrected",
        "restricted",
        "marketing_withdrawn",
        "sent",
        "closed_done",
    ]
    final = (await client.get(page)).text
    assert "Rita Register" in final and "Posted the export" in final and "Done" in final
    request = await PrivacyRequest.select().where(PrivacyRequest.id == request_id).first()
    assert request["status"] == "done" and request["handler"] == admin.id
    assert await AuditEntry.count().where(AuditEntry.action == "contact.exported") == 2
    late = await post_form(client, f"{page}/restrict", {}, form_page=page)
    assert late.status_code == 400 and "This request is closed; nothing was changed." in late.text


async def test_a_request_is_logged_from_the_contacts_record_with_the_contact_named(client):
    contact_id = await upsert_contact(ContactDetails("Ivo", "Ingram", "ivo@example.org", ""), NOW)
    await sign_in(client, await make_staff("admin"))
    record = (await client.get(f"/crm/contacts/{contact_id}")).text
    link = f"/crm/privacy-requests/new?contact={contact_id}"
    assert f'href="{link}"' in record

    form = (await client.get(link)).text

    assert f'value="{contact_id}"' in form and f"Number {contact_id} is Ivo Ingram." in form
    assert "is Ivo" not in (await client.get("/crm/privacy-requests/new?contact=99999999")).text
    client.cookies.clear()
    await sign_in(client, await make_staff("box_office_operator"))
    assert "Log a privacy request" not in (await client.get(f"/crm/contacts/{contact_id}")).text


async def test_the_register_is_paged_and_keeps_showing_every_request_across_pages(client):
    admin = await make_staff("admin")
    for number in range(REGISTER_PAGE_SIZE + 3):
        await log_request(
            NewRequest("access", "letter", None, f"Writer {number}", "Signed", date(2026, 11, 2)),
            actor_id=admin.id,
            ip="127.0.0.1",
            now=NOW,
        )
    await sign_in(client, admin)

    first = (await client.get("/crm/privacy-requests?show=all")).text
    pager = read_pager(first, "Pages of the register")
    second = (await client.get(pager.links["2"].replace("&amp;", "&"))).text

    assert f"Writer {REGISTER_PAGE_SIZE + 2}" in first and "Writer 2<" not in first
    assert "Writer 2<" in second and "Writer 0<" in second and f"Writer {REGISTER_PAGE_SIZE}<" not in second
    assert "show=all" in pager.links["2"]


async def test_the_deadline_is_extended_once_with_a_reason(client):
    await sign_in(client, await make_staff("admin"))
    page = await log(client, requester="Olive Otherwise, 1 High St", received_on="2026-11-30")
    assert "2026-12-30" in (await client.get(page)).text

    no_reason = await post_form(client, f"{page}/extend", {"months": "2", "reason": " "}, form_page=page)
    assert no_reason.status_code == 400 and "Write why more time is needed" in no_reason.text
    too_long = await post_form(client, f"{page}/extend", {"months": "3", "reason": "Busy"}, form_page=page)
    assert too_long.status_code == 400
    extended = await post_form(
        client, f"{page}/extend", {"months": "2", "reason": "Records are in storage"}, form_page=page
    )
    assert extended.status_code == 303
    assert "2027-02-28" in (await client.get(page)).text
    second = await post_form(
        client, f"{page}/extend", {"months": "1", "reason": "Still busy"}, form_page=page
    )

    assert second.status_code == 400 and "it can be extended only once" in second.text
    row = (
        await PrivacyRequest.select().where(PrivacyRequest.requester == "Olive Otherwise, 1 High St").first()
    )
    assert row["extended_to"] == date(2027, 2, 28) and row["extension_reason"] == "Records are in storage"
    assert await AuditEntry.count().where(AuditEntry.action == "privacy_request.extended") == 1


async def test_a_request_form_with_problems_says_so_and_logs_nothing(client):
    await sign_in(client, await make_staff("admin"))
    answer = await post_form(
        client,
        "/crm/privacy-requests/new",
        {
            "kind": "gossip",
            "channel": "centre",
            "contact": "99999999999999",
            "identity_check": "",
            "received_on": "2999-99-99",
        },
    )
    assert answer.status_code == 400
    for message in (
        "Choose what the person asked for.",
        "Choose how the request arrived.",
        "Enter the contact",
        "Say how you checked",
        "Enter the day it was received",
    ):
        assert message in answer.text
    future = await post_form(
        client,
        "/crm/privacy-requests/new",
        {
            "kind": "access",
            "channel": "call",
            "requester": "X",
            "identity_check": "Called back",
            "received_on": "2999-01-01",
        },
    )
    assert future.status_code == 400 and "cannot be in the future" in future.text
    assert await PrivacyRequest.count() == 0


async def test_erasure_for_someone_with_tickets_to_come_is_decided_by_staff(shop, show, fake_stripe):
    performance_id, types = show
    await paid_order(shop, performance_id, {types["Adult"]: "1"}, fake_stripe)
    contact_id = (await Contact.select(Contact.id).first())["id"]
    await sign_in(shop, await make_staff("admin"))
    page = await log(shop, contact=str(contact_id), kind="erasure")
    shown = (await shop.get(page)).text
    assert "They hold tickets for a performance still to come" in shown

    unconfirmed = await post_form(shop, f"{page}/remove", {"when": "after"}, form_page=page)
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.text
    later = await post_form(shop, f"{page}/remove", {"when": "after", "confirm": "yes"}, form_page=page)
    assert later.status_code == 303
    request = await PrivacyRequest.select().where(PrivacyRequest.contact == contact_id).first()
    assert request["status"] == "scheduled" and request["remove_after"].date() == date(2030, 3, 15)
    assert (await Contact.select(Contact.erased_at).where(Contact.id == contact_id).first())[
        "erased_at"
    ] is None

    second = await log(shop, contact=str(contact_id), kind="erasure")
    now = await post_form(shop, f"{second}/remove", {"when": "now", "confirm": "yes"}, form_page=second)
    assert now.status_code == 303
    assert (await Contact.select(Contact.erased_at).where(Contact.id == contact_id).first())[
        "erased_at"
    ] is not None
    again = await post_form(shop, f"{page}/remove", {"when": "now", "confirm": "yes"}, form_page=page)
    assert again.status_code == 400 and "This contact was removed before; nothing was changed." in again.text
    assert await AuditEntry.count().where(AuditEntry.action == "contact.removed") == 1


async def test_overdue_and_due_requests_show_on_the_dashboard_and_in_a_daily_e_mail(
    client, smtp_server, smtp_settings
):
    handler = await make_staff("admin", email="handler@venue.example")
    role_id = await roles.save_role(
        None,
        name="Privacy officer",
        permissions={Perm.CRM_PRIVACY_REQUESTS, Perm.CRM_CONTACTS, Perm.CRM_EXPORT, Perm.CRM_REMOVE},
        requires_totp=False,
        actor_id=handler.id,
        ip="",
    )
    await make_staff_on(role_id, email="officer@venue.example")
    await make_staff("box_office_operator", email="seller@venue.example")
    today = datetime.now(UTC).date()
    await sign_in(client, handler)
    overdue = await log(client, requester="Late Letter", received_on=(today - timedelta(days=40)).isoformat())
    await log(client, requester="Soon Letter", received_on=(today - timedelta(days=27)).isoformat())
    await log(client, requester="New Letter", received_on=today.isoformat())

    dashboard = (await client.get("/backoffice/")).text
    assert "Privacy requests due" in dashboard and "overdue" in dashboard
    assert dashboard.count("/crm/privacy-requests/") >= 2 and overdue.rsplit("/", 1)[1] in dashboard

    assert await send_due_digest(datetime.now(UTC), "http://testserver") == 2  # the admin and the officer
    assert await send_due_digest(datetime.now(UTC), "http://testserver") == 0  # once a day
    await deliver(smtp_settings)
    assert {message["To"] for message in smtp_server.messages} == {
        "handler@venue.example",
        "officer@venue.example",
    }
    text = text_of(messages_to(smtp_server, "officer@venue.example")[0])
    assert (
        "Overdue:" in text and "Due this week:" in text and "http://testserver/crm/privacy-requests" in text
    )


async def test_only_roles_with_the_register_open_it_and_only_those_who_hold_what_it_carries_give_it(client):
    operator = await make_staff("box_office_operator", enrolled=False)
    await sign_in(client, operator)
    assert (await client.get("/crm/privacy-requests")).status_code == 403
    assert (await client.get("/crm/breaches")).status_code == 403
    assert "Privacy requests" not in (await client.get("/backoffice/")).text

    admin = await make_staff("admin", email="boss@venue.example")
    manager_role = await roles.save_role(
        None,
        name="Manager",
        permissions={Perm.CRM_USERS_ROLES, Perm.CRM_PRIVACY_REQUESTS, Perm.CRM_CONTACTS},
        requires_totp=True,
        actor_id=admin.id,
        ip="",
    )
    manager = await make_staff_on(manager_role, email="manager@venue.example")
    for permissions, refusal in (
        ({Perm.CRM_PRIVACY_REQUESTS}, "Export"),  # the register exports and removes: they hold neither
        ({Perm.CRM_BREACHES}, "Only an admin may give or change"),
    ):
        try:
            await roles.save_role(
                None, name="Given", permissions=permissions, requires_totp=False, actor_id=manager.id, ip=""
            )
        except DelegationRefused as refused:
            assert refusal in str(refused)
        else:
            raise AssertionError(f"{permissions} was given")
    assert await roles.save_role(
        None, name="Breaches", permissions={Perm.CRM_BREACHES}, requires_totp=False, actor_id=admin.id, ip=""
    )


async def test_the_role_form_greys_out_what_the_register_carries_beyond_the_actor(client):
    admin = await make_staff("admin", email="boss@venue.example")
    manager_role = await roles.save_role(
        None,
        name="Manager",
        permissions={
            Perm.CRM_USERS_ROLES,
            Perm.CRM_CONTACTS,
            Perm.CRM_EXPORT,
            Perm.CRM_REMOVE,
            Perm.CRM_PRIVACY_REQUESTS,
        },
        requires_totp=True,
        actor_id=admin.id,
        ip="",
    )
    await sign_in(client, await make_staff_on(manager_role, email="manager@venue.example"))

    form = (await client.get("/crm/roles/new")).text

    given = re.search(r'<input id="perm-crm.privacy_requests"[^>]*>', form).group(0)
    breaches = re.search(r'<input id="perm-crm.breaches"[^>]*>', form).group(0)
    assert "disabled" not in given and "disabled" in breaches


async def test_boxoffice_worker_sends_the_daily_reminder_through_smtp(client, smtp_server):
    await make_staff("admin", email="handler@venue.example")
    await PrivacyRequest.insert(
        PrivacyRequest(
            kind="access",
            channel="letter",
            requester="Late Letter",
            identity_check="Signature",
            received_on=date(2026, 1, 1),
            due_on=date(2026, 2, 1),
            status="open",
        )
    )

    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=60):
        arrived = await asyncio.to_thread(smtp_server.wait_for_messages, 1, 30)

    assert arrived
    [reminder] = smtp_server.messages
    assert reminder["To"] == "handler@venue.example" and "Privacy requests due: 1" in reminder["Subject"]
    assert "Overdue:" in text_of(reminder)

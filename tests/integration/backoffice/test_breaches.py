"""CRM > Breach register: a breach recorded with its 72-hour countdown, the decision and its reason, and
the people affected, found by a CRM search, told through the outbox once each; all of it audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.crm.tables import Contact, ContactTag, Tag
from boxoffice.mail.tables import OutboxMessage
from boxoffice.privacy.erasure import erase_contact
from boxoffice.privacy.tables import Breach, BreachNotice
from tests.support.privacy_centre import deliver, text_of
from tests.support.staff import make_staff, post_form, sign_in

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def record(client, **fields):
    found = (datetime.now(UTC) - timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M")
    return await post_form(
        client,
        "/crm/breaches/new",
        {
            "found_at": found,
            "what_happened": "A laptop with last season's mailing list was stolen",
            "data_involved": "Names and e-mail addresses",
            "people_affected": "2",
            "risk": "high",
            **fields,
        },
    )


async def test_a_breach_is_recorded_decided_and_the_people_affected_told_once(
    client, smtp_server, smtp_settings
):
    await sign_in(client, await make_staff("admin"))
    tag = Tag(name="Mailing list 2025")
    await tag.save()
    affected = [
        await upsert_contact(ContactDetails("Ada", "Lovelace", "ada@example.org"), NOW),
        await upsert_contact(ContactDetails("Charles", "Babbage", "charles@example.org"), NOW),
    ]
    await Contact.update({Contact.restricted: True}).where(Contact.id == affected[1])  # told all the same
    await upsert_contact(ContactDetails("Olive", "Otherwise", "olive@example.org"), NOW)
    for contact_id in affected:
        await ContactTag(contact=contact_id, tag=tag.id).save()

    recorded = await record(client)
    assert recorded.status_code == 303
    page = recorded.headers["location"].split("?")[0]
    shown = (await client.get(page)).text
    assert "61 hours" in shown and "left to notify the authority" in shown  # found 10 hours ago

    decided = await post_form(
        client,
        f"{page}/decision",
        {"decision": "notify", "reason": "Addresses exposed", "notified": "yes"},
        form_page=page,
    )
    assert decided.status_code == 303
    assert "The authority was notified." in (await client.get(page)).text

    counted = (await client.get(page, params={"tag": str(tag.id)})).text
    assert "2 people with an e-mail address match" in counted
    notice = {
        "tag": str(tag.id),
        "q": "",
        "subject": "About your data",
        "message": "A laptop was stolen.\n\nWe are sorry.",
        "confirm": "yes",
    }
    sent = await post_form(client, f"{page}/notify", notice, form_page=f"{page}?tag={tag.id}")
    assert sent.status_code == 303
    again = await post_form(client, f"{page}/notify", notice, form_page=f"{page}?tag={tag.id}")
    assert again.status_code == 303
    await deliver(smtp_settings)

    assert sorted(message["To"] for message in smtp_server.messages) == [
        "ada@example.org",
        "charles@example.org",
    ]
    body = text_of(smtp_server.messages[0])
    assert "A laptop was stolen." in body and "/privacy-centre" in body
    assert await BreachNotice.count() == 2
    assert await AuditEntry.count().where(AuditEntry.action.like("breach.%")) == 4
    breach = await Breach.select().first()
    assert breach["decision"] == "notify" and breach["authority_notified_at"] is not None

    await erase_contact(affected[0], actor_id=None, ip="", now=NOW)  # a notice names nobody once removed
    assert await OutboxMessage.count().where(OutboxMessage.recipient == "ada@example.org") == 0


async def test_bad_breach_forms_say_what_is_wrong_and_change_nothing(client):
    await sign_in(client, await make_staff("admin"))
    refused = await record(
        client, found_at="2999-01-01T00:00", what_happened="", people_affected="lots", risk="dire"
    )
    assert refused.status_code == 400
    for message in ("not in the future", "Say what happened.", "as a number", "Choose the risk"):
        assert message in refused.text
    assert await Breach.count() == 0

    page = (await record(client)).headers["location"].split("?")[0]
    undecided = await post_form(
        client,
        f"{page}/decision",
        {"decision": "no_notification", "reason": "", "notified": "yes"},
        form_page=page,
    )
    assert (
        undecided.status_code == 400
        and "Write the reason" in undecided.text
        and "Only a breach you decided to report" in undecided.text
    )
    everyone = await post_form(
        client,
        f"{page}/notify",
        {"q": "", "tag": "", "subject": "S", "message": "M", "confirm": "yes"},
        form_page=page,
    )
    assert everyone.status_code == 400 and "an empty search would tell everyone" in everyone.text
    assert await OutboxMessage.count() == 0 and await BreachNotice.count() == 0
    assert (await Breach.select(Breach.decision).first())["decision"] == ""


async def test_the_deadline_counts_down_and_then_says_it_passed(client):
    await sign_in(client, await make_staff("admin"))
    found = (datetime.now(UTC) - timedelta(hours=75)).strftime("%Y-%m-%dT%H:%M")
    page = (await record(client, found_at=found)).headers["location"].split("?")[0]
    assert "The deadline passed 3 hours" in (await client.get(page)).text
    assert "The deadline passed 3 hours" in (await client.get("/crm/breaches")).text

"""The contacts list and the contact record through HTTP: live search and its pages, the record with its
consent per channel, audited edits whose values only contact-readers see, consent changes with their
notes, restriction, notes and tags."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from litestar.routes import HTTPRoute

from boxoffice.app import create_app
from boxoffice.auth.permissions import Perm, holds, serialise
from boxoffice.auth.roles import BUILTIN_ROLES
from boxoffice.auth.tables import AuditEntry, Role
from boxoffice.crm.tables import Contact, ContactNote, ContactTag, Tag
from boxoffice.marketing.consent import record_consent
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.sales.tables import Order
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.marketing import buy_ticket
from tests.support.pager import read_pager
from tests.support.staff import make_staff, make_staff_on, post_form, sign_in

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ADA = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "phone": "",
    "postcode": "SW1A 1AA",
}


async def make_contact(**fields) -> int:
    contact = Contact(**{**ADA, **fields})
    await contact.save()
    return contact.id


async def test_the_list_searches_live_and_never_shows_removed_contacts(client):
    await make_contact()
    await make_contact(first_name="Charles", last_name="Babbage", email="cb@example.org")
    await make_contact(first_name="", last_name="", email="", erased_at=NOW)
    await sign_in(client, await make_staff("box_office_operator", enrolled=False))

    page = (await client.get("/crm/contacts")).text
    assert 'hx-get="/crm/contacts"' in page and 'hx-target="#contact-results"' in page
    assert "2 contacts." in page and "Ada Lovelace" in page and "Charles Babbage" in page

    fragment = await client.get(
        "/crm/contacts", params={"q": "love"}, headers={"HX-Request": "true", "HX-Target": "contact-results"}
    )
    assert "<html" not in fragment.text and "<h1>" not in fragment.text
    assert "Ada Lovelace" in fragment.text and "Babbage" not in fragment.text
    assert "(no name)" not in page


@pytest.mark.parametrize("query", ["' OR 1=1 --", "<script>alert(1)</script>", "%", "x" * 5000])
async def test_hostile_or_long_searches_are_only_text(client, query):
    await make_contact()
    await sign_in(client, await make_staff("admin"))

    response = await client.get(
        "/crm/contacts", params={"q": query, "page": "-3", "sort": "nonsense", "tag": "x"}
    )

    assert response.status_code == 200
    assert "No contacts match." in response.text and "<script>alert" not in response.text
    if len(query) > 200:
        assert "Only the first 200 characters of the search were used." in response.text


async def test_the_record_shows_consent_per_channel_and_its_history_and_is_audited(client):
    contact_id = await make_contact()
    clerk = await make_staff("admin", name="Clara Clerk")
    await record_consent(
        contact_id=contact_id,
        channel="email",
        granted=True,
        source="online_checkout",
        wording="Yes, please e-mail me",
        now=NOW,
    )
    await record_consent(
        contact_id=contact_id,
        channel="post",
        granted=False,
        source="staff",
        wording="Withdrew by letter",
        note="Letter of 2 November",
        actor_id=clerk.id,
        now=NOW + timedelta(minutes=1),
    )
    await sign_in(client, clerk)

    page = (await client.get(f"/crm/contacts/{contact_id}")).text

    assert '<th scope="row">E-mail</th><td>Venue marketing: Opt in</td>' in page
    assert '<th scope="row">Post</th><td>Venue marketing: Opt out</td>' in page
    assert '<th scope="row">Phone</th><td>Venue marketing: Opt out</td>' in page
    for shown in (
        "Yes, please e-mail me",
        "Withdrew by letter",
        "Letter of 2 November",
        "Clara Clerk",
        "Online checkout",
    ):
        assert shown in page
    viewed = await AuditEntry.select(AuditEntry.actor, AuditEntry.object_id).where(
        AuditEntry.action == "contact.viewed"
    )
    assert viewed == [{"actor": clerk.id, "object_id": str(contact_id)}]
    for missing in ("/crm/contacts/999999", "/crm/contacts/999999/edit", "/crm/contacts/999999/export.json"):
        assert (await client.get(missing)).status_code == 404


async def test_edits_are_audited_with_values_that_only_contact_readers_see(client):
    contact_id = await make_contact()
    auditors = Role(name="Auditor", permissions=serialise([Perm.AUDIT_LOG]))
    await auditors.save()
    auditor = await make_staff_on(auditors.id, email="auditor@venue.example", enrolled=False)
    admin = await make_staff("admin")
    await sign_in(client, admin)

    saved = await post_form(client, f"/crm/contacts/{contact_id}/edit", {**ADA, "postcode": "NW1 6XE"})

    assert saved.status_code == 303
    assert (await Contact.select(Contact.postcode).where(Contact.id == contact_id).first())[
        "postcode"
    ] == "NW1 6XE"
    [entry] = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "contact.updated")
    assert json.loads(entry["detail"]) == {
        "fields": ["postcode"],
        "personal": {"postcode": {"old": "SW1A 1AA", "new": "NW1 6XE"}},
    }
    record = (await client.get(f"/crm/contacts/{contact_id}")).text
    assert "postcode: “SW1A 1AA” → “NW1 6XE”" in record
    assert "postcode: “SW1A 1AA” → “NW1 6XE”" in (await client.get("/backoffice/audit")).text

    client.cookies.clear()
    await sign_in(client, auditor)
    audit_page = (await client.get("/backoffice/audit", params={"action": "contact.updated"})).text
    assert "contact.updated" in audit_page and "postcode" in audit_page
    assert "SW1A 1AA" not in audit_page and "NW1 6XE" not in audit_page


async def test_bad_details_are_refused_with_a_message_and_change_nothing(client):
    contact_id = await make_contact()
    await make_contact(first_name="Other", email="other@example.org")
    await sign_in(client, await make_staff("admin"))
    page = f"/crm/contacts/{contact_id}/edit"

    bad = await post_form(client, page, {**ADA, "email": "not an address", "phone": "call me"})
    taken = await post_form(client, page, {**ADA, "email": "OTHER@example.org"})

    assert bad.status_code == 400 and "Enter an e-mail address such as name@example.org." in bad.text
    assert "Enter a phone number using digits" in bad.text and 'value="call me"' in bad.text
    assert taken.status_code == 400 and "Another contact has this e-mail address." in taken.text
    assert (await Contact.select(Contact.email).where(Contact.id == contact_id).first())[
        "email"
    ] == "ada@example.org"
    assert await AuditEntry.count().where(AuditEntry.action == "contact.updated") == 0


async def test_staff_record_a_consent_change_only_with_a_note(client):
    contact_id = await make_contact()
    clerk = await make_staff("box_office_operator", name="Otto Operator", enrolled=False)
    await sign_in(client, clerk)
    page = f"/crm/contacts/{contact_id}/consent"
    change = {"channel": "phone", "decision": "opt_in", "means": "phone"}

    refused = await post_form(client, page, {**change, "note": "  "}, form_page=f"/crm/contacts/{contact_id}")
    assert refused.status_code == 400 and "Write a note saying what the customer said" in refused.text
    assert await ConsentRecord.count() == 0

    recorded = await post_form(
        client,
        page,
        {**change, "note": "Rang on 20 Nov to ask for calls"},
        form_page=f"/crm/contacts/{contact_id}",
    )
    assert recorded.status_code == 303
    record = (await client.get(f"/crm/contacts/{contact_id}")).text
    assert '<th scope="row">Phone</th><td>Venue marketing: Opt in</td>' in record
    assert "Rang on 20 Nov to ask for calls" in record and "Otto Operator" in record
    assert "agreed to venue marketing by phone, through a phone call" in record
    [row] = await ConsentRecord.select(ConsentRecord.source, ConsentRecord.actor, ConsentRecord.granted)
    assert row == {"source": "staff", "actor": clerk.id, "granted": True}
    assert await AuditEntry.count().where(AuditEntry.action == "consent.recorded") == 1


async def test_restriction_notes_and_tags(client):
    contact_id = await make_contact()
    admin = await make_staff("admin")
    await sign_in(client, admin)
    record = f"/crm/contacts/{contact_id}"

    await post_form(client, f"{record}/restriction", {"restricted": "yes"}, form_page=record)
    assert (await Contact.select(Contact.restricted).where(Contact.id == contact_id).first())["restricted"]
    assert "Restricted" in (await client.get("/crm/contacts")).text
    await post_form(client, f"{record}/restriction", {"restricted": "no"}, form_page=record)
    assert not (await Contact.select(Contact.restricted).where(Contact.id == contact_id).first())[
        "restricted"
    ]
    actions = [
        row["action"]
        for row in await AuditEntry.select(AuditEntry.action).where(
            AuditEntry.action.like("contact.%restricted")
        )
    ]
    assert actions == ["contact.restricted", "contact.unrestricted"]

    empty = await post_form(client, f"{record}/notes", {"text": " "}, form_page=record)
    assert empty.status_code == 400 and "Write the note before adding it." in empty.text
    await post_form(client, f"{record}/notes", {"text": "Needs a <b>hearing loop</b>"}, form_page=record)
    page = (await client.get(record)).text
    assert "Needs a &lt;b&gt;hearing loop&lt;/b&gt;" in page
    assert await ContactNote.count() == 1

    await post_form(client, "/crm/tags", {"name": "Direct  mail"}, form_page="/crm/tags")
    clash = await post_form(client, "/crm/tags", {"name": "direct mail"}, form_page="/crm/tags")
    assert clash.status_code == 400 and "There is already a tag called direct mail." in clash.text
    tag_id = (await Tag.select(Tag.id).first())["id"]
    await post_form(client, f"{record}/tags", {"tag": str(tag_id)}, form_page=record)
    await post_form(client, f"{record}/tags", {"tag": str(tag_id)}, form_page=record)
    assert await ContactTag.count() == 1
    listed = (await client.get("/crm/contacts", params={"tag": str(tag_id)})).text
    assert "1 contact matches." in listed and "Ada Lovelace" in listed

    await post_form(client, f"/crm/tags/{tag_id}/rename", {"name": "Post"}, form_page="/crm/tags")
    assert "Post" in (await client.get(record)).text
    await post_form(client, f"{record}/tags/{tag_id}/remove", {}, form_page=record)
    assert await ContactTag.count() == 0
    await post_form(client, f"{record}/tags", {"tag": str(tag_id)}, form_page=record)
    confirm = (await client.get(f"/crm/tags/{tag_id}/delete")).text
    assert "It is on 1 contact; deleting it takes it off them all." in confirm
    await post_form(client, f"/crm/tags/{tag_id}/delete", {}, form_page=f"/crm/tags/{tag_id}/delete")
    assert await Tag.count() == 0 and await ContactTag.count() == 0
    tag_actions = {row["action"] for row in await AuditEntry.select(AuditEntry.action)}
    assert {"tag.created", "tag.renamed", "tag.deleted", "contact.tagged", "contact.untagged"} <= tag_actions


async def test_staff_add_a_contact_once_per_e_mail_address(client):
    await make_contact()
    await sign_in(client, await make_staff("box_office_operator", enrolled=False))
    assert "<h1>Add a contact</h1>" in (await client.get("/crm/contacts/new")).text
    caller = {
        "first_name": "Olive",
        "last_name": "Otherwise",
        "email": "Olive@Example.org",
        "phone": "0161 496 0999",
    }

    taken = await post_form(client, "/crm/contacts/new", {**caller, "email": "ADA@example.org"})
    bad = await post_form(client, "/crm/contacts/new", {**caller, "first_name": "", "last_name": ""})
    added = await post_form(client, "/crm/contacts/new", caller)

    assert taken.status_code == 400 and "A contact with this e-mail address already exists." in taken.text
    assert bad.status_code == 400 and "Enter the customer&#39;s name." in bad.text
    assert added.status_code == 303
    record = (await client.get(added.headers["location"])).text
    assert "<h1>Olive Otherwise</h1>" in record and "The contact has been added." in record
    assert await Contact.count() == 2
    assert await Contact.exists().where(Contact.email == "olive@example.org")


def contact_pages() -> list[tuple[str, Perm]]:
    """Every staff page about one contact, with the permission it declares."""
    return sorted(
        {
            (route.path, handler.opt["permission"])
            for route in create_app().routes
            if isinstance(route, HTTPRoute) and route.path.startswith("/crm/contacts/{contact_id:int}")
            for handler in route.route_handlers
            if "GET" in handler.http_methods
        }
    )


@pytest.mark.parametrize("role", BUILTIN_ROLES, ids=lambda role: role.key)
async def test_each_built_in_role_opens_exactly_the_contact_pages_it_holds(client, role):
    contact_id = await make_contact()
    await sign_in(client, await make_staff(role.key))
    pages = contact_pages()

    outcomes = {
        path: (await client.get(path.replace("{contact_id:int}", str(contact_id)))).status_code
        for path, _ in pages
    }

    assert outcomes == {
        path: 200 if holds(role.permissions, permission) else 403 for path, permission in pages
    }
    assert len(pages) >= 5


async def test_a_tag_goes_on_every_contact_a_search_finds(client):
    lovelace = await make_contact()
    byron = await make_contact(last_name="Byron", email="byron@example.org")
    await make_contact(first_name="Charles", last_name="Babbage", email="cb@example.org")
    await make_contact(first_name="Ada", last_name="", email="", erased_at=NOW)
    post = Tag(name="Post")
    await post.save()
    await ContactTag(contact=lovelace, tag=post.id).save()
    await sign_in(client, await make_staff("admin"))
    assert "Tag all 2 contacts found with" in (await client.get("/crm/contacts", params={"q": "ada"})).text

    response = await post_form(
        client,
        "/crm/contacts/tag",
        {"tag": str(post.id), "q": "ada", "filter_tag": ""},
        form_page="/crm/contacts?q=ada",
    )

    assert response.status_code == 303 and "q=ada" in response.headers["location"]
    tagged = {
        row["contact"] for row in await ContactTag.select(ContactTag.contact).where(ContactTag.tag == post.id)
    }
    assert tagged == {lovelace, byron}
    [entry] = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "contacts.tagged")
    assert json.loads(entry["detail"]) == {"contacts": 1, "searched": True, "filter_tag": None}


async def test_only_staff_who_manage_tags_tag_a_whole_search(client):
    await make_contact()
    post = Tag(name="Post")
    await post.save()
    await sign_in(client, await make_staff("box_office_operator", enrolled=False))

    assert "Tag all" not in (await client.get("/crm/contacts", params={"q": "ada"})).text
    refused = await post_form(
        client, "/crm/contacts/tag", {"tag": str(post.id), "q": "ada"}, form_page="/crm/contacts"
    )
    assert refused.status_code == 403 and await ContactTag.count() == 0


async def test_staff_who_manage_tags_but_not_contacts_tag_no_search_and_see_no_contact(client):
    await make_contact(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    post = Tag(name="Post")
    await post.save()
    tagger = Role(name="Tagger", permissions=serialise([Perm.CRM_TAGS]))
    await tagger.save()
    await sign_in(client, await make_staff_on(tagger.id, email="tagger@venue.example", enrolled=False))

    for tag in (str(post.id), "999999", ""):  # a tag that exists, one that does not, none
        refused = await post_form(
            client, "/crm/contacts/tag", {"tag": tag, "q": "ada"}, form_page="/crm/tags"
        )

        assert refused.status_code == 403
        assert "Lovelace" not in refused.text and "ada@example.org" not in refused.text
    assert await ContactTag.count() == 0


async def test_the_list_says_how_many_match_and_its_pages_keep_the_search_tag_and_sort(client):
    friends = Tag(name="Friends")
    await friends.save()
    for number in range(60):
        contact_id = await make_contact(
            first_name=f"Person{number:02}", last_name="Smith", email=f"p{number:02}@example.org"
        )
        if number % 10:  # 54 friends
            await ContactTag(contact=contact_id, tag=friends.id).save()
    await make_contact(first_name="Charles", last_name="Babbage", email="cb@example.org")
    await sign_in(client, await make_staff("admin"))
    filters = {"q": "smith", "tag": str(friends.id), "sort": "email"}

    first = await client.get("/crm/contacts", params=filters)
    pager = read_pager(first.text)
    second = await client.get(pager.links["Next"])
    last = await client.get(read_pager(second.text).links["Last"])

    assert "54 contacts match." in first.text
    assert pager.summary == "Showing 1–25 of 54" and pager.current == "1"
    assert pager.links["Next"] == f"/crm/contacts?q=smith&sort=email&tag={friends.id}&page=2"
    assert read_pager(second.text).summary == "Showing 26–50 of 54"
    assert read_pager(second.text).current == "2"
    assert read_pager(last.text).summary == "Showing 51–54 of 54"
    assert "Person58 Smith" in last.text and "Person59 Smith" in last.text
    assert "Person50 Smith" not in last.text and "Charles" not in last.text
    assert read_pager(last.text).links["First"] == f"/crm/contacts?q=smith&sort=email&tag={friends.id}"


@pytest.mark.parametrize("page", ["0", "-1", "abc", "١٢", "²", "1.5", ""])
async def test_a_page_number_that_is_no_number_shows_the_first_page(client, page):
    for number in range(30):
        await make_contact(first_name=f"Person{number:02}", email=f"p{number:02}@example.org")
    await sign_in(client, await make_staff("admin"))

    response = await client.get("/crm/contacts", params={"page": page})

    assert response.status_code == 200
    assert read_pager(response.text).summary == "Showing 1–25 of 30"


async def test_a_page_past_the_end_shows_the_last_and_says_so(client):
    for number in range(30):
        await make_contact(first_name=f"Person{number:02}", email=f"p{number:02}@example.org")
    await sign_in(client, await make_staff("admin"))

    response = await client.get("/crm/contacts", params={"page": str(10**30)})

    assert response.status_code == 200
    assert read_pager(response.text).summary == "Showing 26–30 of 30"
    assert read_pager(response.text).notices == [
        "That page is past the end of the list: this is the last page."
    ]


ORDERS_PAGER = "Pages of the contact's orders, latest first"
TICKETS_PAGER = "Pages of the contact's tickets, latest orders first"


async def test_the_record_pages_a_regulars_orders_and_tickets_latest_first(client):
    ada = await make_contact()
    show = await make_event(await make_venue(), "tempest", "The Tempest")
    performance = await make_performance(show, NOW + timedelta(days=30), {"Adult": 2400})
    references = []  # oldest first
    for minutes in range(45, 0, -1):
        order_id = await buy_ticket(ada, performance.id, when=NOW - timedelta(minutes=minutes))
        references.append(
            (await Order.select(Order.reference).where(Order.id == order_id).first())["reference"]
        )
    await sign_in(client, await make_staff("admin"))
    record = f"/crm/contacts/{ada}"

    first = (await client.get(record)).text
    orders, tickets = read_pager(first, ORDERS_PAGER), read_pager(first, TICKETS_PAGER)
    assert orders.summary == "Showing 1–20 of 45" and orders.current == "1"
    assert tickets.summary == "Showing 1–20 of 45" and tickets.current == "1"
    assert references[-1] in first and references[-20] in first and references[-21] not in first
    assert orders.links["Next"] == f"{record}?orders_page=2#orders"

    second = (await client.get(orders.links["Next"])).text
    assert read_pager(second, ORDERS_PAGER).summary == "Showing 21–40 of 45"
    assert read_pager(second, TICKETS_PAGER).current == "1"  # the other list stays where it was
    assert references[-21] in second and references[-1] not in second.split('id="tickets"')[0]
    last_tickets = read_pager(second, TICKETS_PAGER).links["Last"]
    assert last_tickets == f"{record}?orders_page=2&tickets_page=3#tickets"

    both = (await client.get(last_tickets)).text
    assert read_pager(both, ORDERS_PAGER).summary == "Showing 21–40 of 45"
    assert read_pager(both, TICKETS_PAGER).summary == "Showing 41–45 of 45"
    assert read_pager(both, TICKETS_PAGER).links["First"] == f"{record}?orders_page=2#tickets"
    assert references[0] in both.split('id="tickets"')[1]

    past = (await client.get(record, params={"orders_page": "99", "tickets_page": "abc"})).text
    assert read_pager(past, ORDERS_PAGER).summary == "Showing 41–45 of 45"
    assert read_pager(past, ORDERS_PAGER).notices == [
        "That page is past the end of the list: this is the last page."
    ]
    assert read_pager(past, TICKETS_PAGER).summary == "Showing 1–20 of 45"


async def test_a_record_without_orders_says_so_and_has_no_pager(client):
    ada = await make_contact()
    await sign_in(client, await make_staff("admin"))

    page = (await client.get(f"/crm/contacts/{ada}")).text

    assert "No orders." in page and "No tickets." in page and 'class="pager"' not in page

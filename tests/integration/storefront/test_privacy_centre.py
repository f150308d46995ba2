"""The privacy centre, "Your data and preferences", as customers use it: a link by e-mail through a real
SMTP server, their data as a page and as downloads, their consent, details, restriction and erasure; and
what abuse gets: the same answer for unknown addresses, dead links, another person's link, floods."""

from __future__ import annotations

import json
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

from boxoffice.auth.tables import AuditEntry
from boxoffice.config import get_settings
from boxoffice.crm.contacts import ContactDetails, upsert_contact
from boxoffice.crm.tables import Contact
from boxoffice.mail.tables import OutboxMessage
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.privacy import centre
from boxoffice.privacy.requests import remove_scheduled
from boxoffice.privacy.tables import CentreSignIn, LinkRequest, PrivacyRequest, RequestAction
from boxoffice.venue.tables import SiteSetting
from tests.support.app import app_client
from tests.support.privacy_centre import (
    ask_for_link,
    deliver,
    messages_to,
    sign_in_link,
    signed_in_by_mail,
    text_of,
    use_link,
)
from tests.support.shop import paid_order
from tests.support.staff import csrf_token, post_form

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ADA = "ada@example.org"
SAME_ANSWER = "If we hold details for that address, we have sent it a link to sign in."
DEAD_LINK = "This link cannot be used: it has expired, it was used already, or it was not one of ours."


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def contact_id_of(email: str) -> int:
    return (await Contact.select(Contact.id).where(Contact.email == email).first())["id"]


async def test_a_buyer_signs_in_by_e_mail_and_manages_their_data(
    shop, show, fake_stripe, smtp_server, smtp_settings
):
    performance_id, types = show
    order = await paid_order(shop, performance_id, {types["Adult"]: "2"}, fake_stripe)
    contact_id = await contact_id_of(ADA)
    await deliver(smtp_settings)
    [confirmation] = messages_to(smtp_server, ADA)
    assert "/privacy-centre" in text_of(confirmation)  # the confirmation links to the centre
    assert "/privacy-centre" in (await shop.get("/privacy")).text  # and so does the privacy policy

    asked = await ask_for_link(shop, "  Ada@Example.org ")
    assert asked.status_code == 303
    assert SAME_ANSWER in (await shop.get(asked.headers["location"])).text
    await deliver(smtp_settings)
    link = sign_in_link(smtp_server, ADA)
    opened = await shop.get(link)
    assert opened.status_code == 200 and "Lovelace" not in opened.text  # a button, naming nobody
    assert await CentreSignIn.count().where(CentreSignIn.used_at.is_not_null()) == 0  # opening used nothing
    assert await CentreSignIn.exists().where(CentreSignIn.link_digest == link.rsplit("/", 1)[1]) is False

    signed_in = await use_link(shop, link)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/privacy-centre/you"
    page = await shop.get("/privacy-centre/you")
    assert page.headers["cache-control"] == "no-store"
    assert "Ada" in page.text and ADA in page.text and order["reference"] in page.text

    exported = await shop.get("/privacy-centre/you/data.json")
    data = json.loads(exported.content)
    assert data["contact"]["email"] == ADA and data["orders"][0]["reference"] == order["reference"]
    pdf = await shop.get("/privacy-centre/you/data.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert (
        await AuditEntry.count().where((AuditEntry.action == "contact.exported") & AuditEntry.actor.is_null())
        == 2
    )

    chose = await post_form(
        shop, "/privacy-centre/you/consent", {"channel": ["email", "post"]}, form_page="/privacy-centre/you"
    )
    assert chose.status_code == 303
    ledger = (
        await ConsentRecord.select(
            ConsentRecord.channel, ConsentRecord.granted, ConsentRecord.source, ConsentRecord.wording
        )
        .where(ConsentRecord.contact == contact_id)
        .order_by(ConsentRecord.id)
    )
    assert [(row["channel"], row["granted"], row["source"]) for row in ledger] == [
        ("email", True, "privacy_centre"),
        ("post", True, "privacy_centre"),
    ]
    assert ledger[0]["wording"] == centre.CONSENT_WORDING["email"]
    withdrew = await post_form(
        shop, "/privacy-centre/you/consent", {"channel": ["post"]}, form_page="/privacy-centre/you"
    )
    assert withdrew.status_code == 303
    latest = (
        await ConsentRecord.select()
        .where(ConsentRecord.contact == contact_id)
        .order_by(ConsentRecord.id, ascending=False)
        .first()
    )
    assert (latest["channel"], latest["granted"], latest["source"]) == ("email", False, "privacy_centre")

    corrected = await post_form(
        shop,
        "/privacy-centre/you/details",
        {
            "first_name": "Augusta Ada",
            "last_name": "King",
            "phone": "0117 496 0999",
            "postcode": "BS8 1TH",
            "email": "evil@example.org",
        },
        form_page="/privacy-centre/you",
    )
    assert corrected.status_code == 303
    contact = await Contact.select().where(Contact.id == contact_id).first()
    assert (contact["first_name"], contact["last_name"], contact["postcode"], contact["email"]) == (
        "Augusta Ada",
        "King",
        "BS8 1TH",
        ADA,  # the address they sign in with is not theirs to change here
    )
    audited = await AuditEntry.select().where(AuditEntry.action == "contact.updated").first()
    assert audited["actor"] is None and "BS1 4DJ" in audited["detail"]  # old and new values kept
    refused = await post_form(
        shop,
        "/privacy-centre/you/details",
        {"first_name": "", "last_name": "", "phone": "call me"},
        form_page="/privacy-centre/you",
    )
    assert refused.status_code == 400 and "Enter a phone number" in refused.text
    assert (await Contact.select(Contact.phone).where(Contact.id == contact_id).first())[
        "phone"
    ] == "0117 496 0999"

    restricted = await post_form(
        shop, "/privacy-centre/you/restriction", {"confirm": "yes"}, form_page="/privacy-centre/you"
    )
    assert restricted.status_code == 303
    assert (await Contact.select(Contact.restricted).where(Contact.id == contact_id).first())[
        "restricted"
    ] is True

    erasure = await post_form(
        shop, "/privacy-centre/you/erasure", {"confirm": "yes"}, form_page="/privacy-centre/you"
    )
    assert erasure.status_code == 303 and "erasure_waits" in erasure.headers["location"]  # tickets to come
    again = await post_form(
        shop, "/privacy-centre/you/erasure", {"confirm": "yes"}, form_page="/privacy-centre/you"
    )
    assert again.status_code == 400 and "You have asked already" in again.text
    register = (
        await PrivacyRequest.select(PrivacyRequest.kind, PrivacyRequest.channel, PrivacyRequest.status)
        .where(PrivacyRequest.contact == contact_id)
        .order_by(PrivacyRequest.id)
    )
    assert register == [
        {"kind": "rectification", "channel": "centre", "status": "done"},
        {"kind": "restriction", "channel": "centre", "status": "done"},
        {"kind": "erasure", "channel": "centre", "status": "open"},  # waits for staff
    ]
    assert (await Contact.select(Contact.erased_at).where(Contact.id == contact_id).first())[
        "erased_at"
    ] is None

    signed_out = await post_form(shop, "/privacy-centre/sign-out", {}, form_page="/privacy-centre/you")
    assert signed_out.status_code == 303
    assert (await shop.get("/privacy-centre/you")).headers["location"] == "/privacy-centre?done=expired"


async def test_known_and_unknown_addresses_get_the_same_answer_in_similar_time(
    client, smtp_server, smtp_settings
):
    known = [f"known{number}@example.org" for number in range(8)]
    for address in known:
        await upsert_contact(ContactDetails("Known", "Person", address), NOW)
    unknown = [f"nobody{number}@example.org" for number in range(8)]
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    answers = set()
    for known_address, unknown_address in zip(known, unknown, strict=True):
        for kind, address in (("known", known_address), ("unknown", unknown_address)):
            token = await csrf_token(client, "/privacy-centre")
            started = time.perf_counter()
            answer = await client.post("/privacy-centre/link", data={"email": address, "_csrf_token": token})
            times[kind].append(time.perf_counter() - started)
            answers.add((answer.status_code, answer.headers["location"], answer.text))

    assert answers == {(303, "/privacy-centre?done=sent", "")}
    assert await LinkRequest.count() == 16 and await CentreSignIn.count() == 16  # the same work done
    known_time, unknown_time = statistics.median(times["known"]), statistics.median(times["unknown"])
    assert abs(known_time - unknown_time) < max(0.025, 0.5 * min(known_time, unknown_time)), times
    await deliver(smtp_settings)
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(known)
    unknown_links = await CentreSignIn.select().where(CentreSignIn.contact.is_null())
    assert len(unknown_links) == 8  # and they sign nobody in


async def test_a_link_works_once_and_not_after_30_minutes(client, smtp_server, smtp_settings):
    await upsert_contact(ContactDetails("Ada", "Lovelace", ADA), NOW)
    assert (await signed_in_by_mail(client, smtp_server, smtp_settings, ADA)).status_code == 303
    used = sign_in_link(smtp_server, ADA)

    async with app_client(get_settings()) as other_browser:
        reused = await use_link(other_browser, used)
        assert reused.status_code == 400 and DEAD_LINK in visible(reused.text)
        assert (await other_browser.get("/privacy-centre/you")).status_code == 303  # not signed in

        await ask_for_link(other_browser, ADA)
        await deliver(smtp_settings)
        fresh = sign_in_link(smtp_server, ADA)
        await CentreSignIn.update(
            {CentreSignIn.link_expires_at: datetime.now(UTC) - timedelta(seconds=1)}
        ).where(CentreSignIn.used_at.is_null())
        expired = await use_link(other_browser, fresh)
        assert expired.status_code == 400 and DEAD_LINK in visible(expired.text)
        made_up = await use_link(other_browser, "/privacy-centre/sign-in/" + "A" * 43)
        assert made_up.status_code == 400 and DEAD_LINK in visible(made_up.text)
        assert (await other_browser.get("/privacy-centre/you")).status_code == 303
    assert await CentreSignIn.count().where(CentreSignIn.session_digest.is_not_null()) == 1  # the first only


async def test_a_link_from_another_persons_e_mail_shows_only_that_person(client, smtp_server, smtp_settings):
    await upsert_contact(ContactDetails("Ada", "Lovelace", ADA), NOW)
    await upsert_contact(ContactDetails("Charles", "Babbage", "charles@example.org"), NOW)
    await signed_in_by_mail(client, smtp_server, smtp_settings, ADA)
    adas_session = client.cookies["boxoffice_privacy"]
    assert "Lovelace" in (await client.get("/privacy-centre/you")).text

    await ask_for_link(client, "charles@example.org")
    await deliver(smtp_settings)
    await use_link(client, sign_in_link(smtp_server, "charles@example.org"))

    page = (await client.get("/privacy-centre/you")).text
    assert "Babbage" in page and "Lovelace" not in page and ADA not in page
    assert await centre.signed_in_contact(adas_session, datetime.now(UTC)) is None  # Ada's session ended


async def test_a_flood_of_link_requests_is_held_back_per_address_and_per_ip(
    database, smtp_server, smtp_settings
):
    await upsert_contact(ContactDetails("Ada", "Lovelace", ADA), NOW)
    async with app_client(get_settings(), client_ip="203.0.113.7") as flooder:
        answers = [
            (await ask_for_link(flooder, ADA)).status_code for _ in range(centre.LINKS_PER_ADDRESS + 2)
        ]
        assert answers == [303] * centre.LINKS_PER_ADDRESS + [400, 400]
        refused = await ask_for_link(flooder, ADA)
        assert "You have asked for several links in a short time" in refused.text
        for number in range(centre.LINKS_PER_IP - centre.LINKS_PER_ADDRESS):
            assert (await ask_for_link(flooder, f"someone{number}@example.org")).status_code == 303
        held = await ask_for_link(flooder, "another@example.org")
        assert held.status_code == 400 and "several links" in held.text
    await deliver(smtp_settings)
    assert len(messages_to(smtp_server, ADA)) == centre.LINKS_PER_ADDRESS
    assert await LinkRequest.count() == centre.LINKS_PER_IP
    assert await OutboxMessage.count() == centre.LINKS_PER_ADDRESS
    async with app_client(get_settings(), client_ip="198.51.100.2") as neighbour:
        assert (await ask_for_link(neighbour, "another@example.org")).status_code == 303  # others still can


async def test_what_is_not_an_address_is_refused_and_sends_nothing(client):
    for typed in ("", "ada", "ada@example", "a b@example.org", "x" * 300 + "@example.org"):
        answer = await ask_for_link(client, typed)
        assert answer.status_code == 400 and "Enter an e-mail address" in answer.text
    assert await LinkRequest.count() == 0 and await OutboxMessage.count() == 0


async def test_erasure_without_tickets_to_come_is_carried_out_after_the_cooling_off(
    client, smtp_server, smtp_settings
):
    contact_id = await upsert_contact(ContactDetails("Ada", "Lovelace", ADA, "0117 496 0000", "BS1 4DJ"), NOW)
    await SiteSetting(key="privacy.auto_erasure_days", value="14").save()
    await signed_in_by_mail(client, smtp_server, smtp_settings, ADA)

    asked = await post_form(
        client, "/privacy-centre/you/erasure", {"confirm": "yes"}, form_page="/privacy-centre/you"
    )
    assert asked.status_code == 303 and "erasure_scheduled" in asked.headers["location"]
    unconfirmed = await post_form(client, "/privacy-centre/you/erasure", {}, form_page="/privacy-centre/you")
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.text
    request = await PrivacyRequest.select().where(PrivacyRequest.contact == contact_id).first()
    assert request["status"] == "scheduled"

    assert await remove_scheduled(datetime.now(UTC) + timedelta(days=13)) == 0  # still cooling off
    assert await remove_scheduled(datetime.now(UTC) + timedelta(days=15)) == 1
    contact = await Contact.select().where(Contact.id == contact_id).first()
    assert contact["erased_at"] is not None and contact["email"] == ""
    assert (
        await PrivacyRequest.select(PrivacyRequest.status).where(PrivacyRequest.id == request["id"]).first()
    )["status"] == "done"
    assert "removed" in [row["action"] for row in await RequestAction.select(RequestAction.action)]
    assert (await client.get("/privacy-centre/you")).status_code == 303  # their session went with them
    assert await CentreSignIn.count() == 0


async def test_erasure_waits_for_staff_when_the_venue_removes_by_hand(client, smtp_server, smtp_settings):
    contact_id = await upsert_contact(ContactDetails("Ada", "Lovelace", ADA), NOW)
    await signed_in_by_mail(client, smtp_server, smtp_settings, ADA)

    asked = await post_form(
        client, "/privacy-centre/you/erasure", {"confirm": "yes"}, form_page="/privacy-centre/you"
    )

    assert "erasure_waits" in asked.headers["location"]
    assert await remove_scheduled(datetime.now(UTC) + timedelta(days=365)) == 0
    assert (await Contact.select(Contact.erased_at).where(Contact.id == contact_id).first())[
        "erased_at"
    ] is None


async def test_pages_of_the_signed_in_person_need_a_session(client):
    contact_id = await upsert_contact(ContactDetails("Ada", "Lovelace", ADA), NOW)
    for path in (
        "/privacy-centre/you/consent",
        "/privacy-centre/you/details",
        "/privacy-centre/you/erasure",
        "/privacy-centre/you/restriction",
    ):
        answer = await post_form(
            client,
            path,
            {"confirm": "yes", "channel": "email", "last_name": "X"},
            form_page="/privacy-centre",
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/privacy-centre?done=expired"
    for path in ("/privacy-centre/you", "/privacy-centre/you/data.json", "/privacy-centre/you/data.pdf"):
        assert (await client.get(path)).status_code == 303
    client.cookies.set("boxoffice_privacy", "forged", path="/privacy-centre")
    assert (await client.get("/privacy-centre/you/data.json")).status_code == 303
    assert await ConsentRecord.count() == 0 and await PrivacyRequest.count() == 0
    assert (await Contact.select(Contact.last_name).where(Contact.id == contact_id).first())[
        "last_name"
    ] == "Lovelace"

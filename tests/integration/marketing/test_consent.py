"""The consent ledger: a contact's status is their latest change per channel, a consent lands with its
caller's transaction or not at all, and the history keeps the words shown and who recorded them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.crm.tables import Contact
from boxoffice.db import write_transaction
from boxoffice.marketing.consent import (
    consent_history,
    consent_status,
    record_consent,
    records_by_question_version,
)
from boxoffice.marketing.questions import QuestionChange, current_question, save_marketing_questions
from boxoffice.marketing.tables import ConsentRecord, QuestionKind
from tests.support.staff import make_staff, sign_in

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NOBODY = {"email": False, "post": False, "phone": False}
UNSUBSCRIBE_WORDING = "Unsubscribe link in a marketing e-mail"


async def make_contact(email: str = "pat@example.org") -> int:
    contact = Contact(first_name="Pat", last_name="Buyer", email=email)
    await contact.save()
    return contact.id


async def test_a_contacts_status_is_their_latest_change_on_each_channel(database):
    contact, other = await make_contact(), await make_contact("other@example.org")
    question = await current_question(QuestionKind.ONLINE)
    assert await consent_status(contact) == NOBODY

    await record_consent(
        contact_id=contact,
        channel="email",
        granted=True,
        source="online_checkout",
        wording=question.text,
        question=question,
        ip="203.0.113.9",
        now=NOW,
    )
    await record_consent(
        contact_id=contact,
        channel="post",
        granted=True,
        source="import",
        wording="Tick box on the 2025 paper booking form",
        now=NOW + timedelta(minutes=1),
    )
    assert await consent_status(contact) == {"email": True, "post": True, "phone": False}

    await record_consent(
        contact_id=contact,
        channel="email",
        granted=False,
        source="unsubscribe_link",
        wording=UNSUBSCRIBE_WORDING,
        now=NOW + timedelta(minutes=2),
    )
    assert await consent_status(contact) == {"email": False, "post": True, "phone": False}

    await record_consent(
        contact_id=contact,
        channel="email",
        granted=True,
        source="online_checkout",
        wording=question.text,
        question=question,
        now=NOW + timedelta(days=3),
    )
    assert await consent_status(contact) == {"email": True, "post": True, "phone": False}
    assert await consent_status(other) == NOBODY
    assert await ConsentRecord.count() == 4


async def test_an_imported_older_consent_does_not_override_a_later_withdrawal(database):
    contact = await make_contact()
    await record_consent(
        contact_id=contact, channel="email", granted=False, source="unsubscribe_link", wording="x", now=NOW
    )

    await record_consent(
        contact_id=contact,
        channel="email",
        granted=True,
        source="import",
        wording="Signed up on the old mailing list",
        now=NOW - timedelta(days=400),
    )

    assert (await consent_status(contact))["email"] is False


async def test_a_consent_recorded_in_a_transaction_that_fails_leaves_nothing(database):
    contact = await make_contact()
    question = await current_question(QuestionKind.ONLINE)

    with pytest.raises(RuntimeError, match="payment failed"):
        async with write_transaction():
            await record_consent(
                contact_id=contact,
                channel="email",
                granted=True,
                source="online_checkout",
                wording=question.text,
                question=question,
                now=NOW,
            )
            assert await ConsentRecord.count() == 1  # written through the open transaction
            raise RuntimeError("payment failed")

    assert await ConsentRecord.count() == 0
    assert await consent_status(contact) == NOBODY


async def test_the_history_keeps_the_words_their_version_and_the_staff_members_name(database):
    operator = await make_staff("box_office_operator", name="Olive Operator", enrolled=False)
    contact = await make_contact()
    question = await current_question(QuestionKind.BOX_OFFICE)

    await record_consent(
        contact_id=contact,
        channel="email",
        granted=True,
        source="box_office",
        wording=question.text,
        question=question,
        note="Said yes at the counter",
        actor_id=operator.id,
        ip="10.0.0.5",
        now=NOW,
    )
    await record_consent(
        contact_id=contact,
        channel="email",
        granted=False,
        source="unsubscribe_link",
        wording=UNSUBSCRIBE_WORDING,
        ip="198.51.100.7",
        now=NOW + timedelta(hours=1),
    )

    latest, first = await consent_history(contact)
    assert (latest.source, latest.granted, latest.wording, latest.wording_version) == (
        "unsubscribe_link",
        False,
        UNSUBSCRIBE_WORDING,
        None,
    )
    assert latest.actor_name is None and latest.ip == "198.51.100.7"
    assert (first.source, first.granted, first.channel) == ("box_office", True, "email")
    assert first.wording == "The customer agreed to hear about upcoming shows, events and offers by e-mail."
    assert first.wording_version == 1 and first.note == "Said yes at the counter"
    assert first.actor_name == "Olive Operator" and first.recorded_at == NOW
    assert await consent_history(await make_contact("nobody@example.org")) == []


async def test_a_consent_given_by_question_id_records_that_versions_exact_words(database):
    contact = await make_contact()
    question = await current_question(QuestionKind.ONLINE)

    record_id = await record_consent(
        contact_id=contact,
        channel="email",
        granted=True,
        source="online_checkout",
        question_id=question.id,
        now=NOW,
    )

    row = await ConsentRecord.select().where(ConsentRecord.id == record_id).first()
    assert (row["question"], row["wording_version"], row["wording"]) == (question.id, 1, question.text)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"channel": "sms"}, "sms"),
        ({"source": "guess"}, "guess"),
        ({"wording": "  "}, "wording"),
        ({"wording": "", "question_id": 99999}, "99999"),
        ({"now": datetime(2026, 11, 21, 12, 0)}, "timezone"),
    ],
)
async def test_record_consent_refuses_what_it_cannot_record_faithfully(database, changes, problem):
    contact = await make_contact()
    consent = {
        "contact_id": contact,
        "channel": "email",
        "granted": True,
        "source": "staff",
        "wording": "Asked on the phone",
        "now": NOW,
    }
    with pytest.raises(ValueError, match=problem):
        await record_consent(**{**consent, **changes})
    assert await ConsentRecord.count() == 0


async def test_the_settings_page_counts_the_consents_given_under_each_question_version(client):
    admin = await make_staff("admin", name="Ada Admin")
    await sign_in(client, admin)
    first, second = await make_contact(), await make_contact("sam@example.org")
    version_1 = await current_question(QuestionKind.ONLINE)
    box_office = await current_question(QuestionKind.BOX_OFFICE)
    for contact in (first, second):
        await record_consent(
            contact_id=contact,
            channel="email",
            granted=True,
            source="online_checkout",
            wording=version_1.text,
            question=version_1,
            now=NOW,
        )
    await save_marketing_questions(
        [
            QuestionChange(QuestionKind.ONLINE, True, "Send me the season brochure by e-mail."),
            QuestionChange(QuestionKind.BOX_OFFICE, True, box_office.text),
        ],
        actor_id=admin.id,
        ip="127.0.0.1",
    )
    version_2 = await current_question(QuestionKind.ONLINE)
    assert replace(version_2, id=0, text="") == replace(version_1, id=0, text="", version=2)
    await record_consent(
        contact_id=first,
        channel="email",
        granted=True,
        source="online_checkout",
        wording=version_2.text,
        question=version_2,
        now=NOW + timedelta(days=1),
    )

    assert await records_by_question_version("online") == {1: 2, 2: 1}
    assert await records_by_question_version("box_office") == {}
    page = (await client.get("/marketing/settings")).text
    rows = re.findall(
        r"<tr>\s*<td>(\d+)</td>\s*<td><time[^>]*>[^<]*</time></td>\s*<td>(Yes|No)</td>\s*"
        r"<td>([^<]*)</td>\s*<td>(\d+)</td>",
        page,
    )
    assert ("2", "Yes", "Send me the season brochure by e-mail.", "1") in rows
    assert ("1", "Yes", version_1.text, "2") in rows
    assert ("1", "Yes", box_office.text, "0") in rows

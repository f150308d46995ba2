"""Finding contacts and keeping notes on them: the search staff use at the counter and in the CRM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.crm.contacts import (
    ContactSort,
    add_note,
    contact_notes,
    detail_problems,
    details_from_form,
    search_contacts,
)
from boxoffice.crm.tables import Contact, ContactTag, Tag
from boxoffice.paging import PageRequest
from tests.support.staff import make_staff

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def make_contact(
    first: str, last: str, email: str, phone: str = "", postcode: str = "", **extra
) -> int:
    contact = Contact(first_name=first, last_name=last, email=email, phone=phone, postcode=postcode, **extra)
    await contact.save()
    return contact.id


async def names(query: str = "", **options) -> list[str]:
    found = await search_contacts(query, **options)
    return [contact.name for contact in found.items]


async def test_every_word_must_match_a_name_email_phone_or_postcode(database):
    await make_contact("Ada", "Lovelace", "ada@example.org", "+44 20 7946 0018", "SW1A 1AA")
    await make_contact("Ada", "Byron", "byron@example.org", "0161 496 0000", "M1 1AE")
    await make_contact("Charles", "Babbage", "cb@engine.example", "", "SW1A 2AA")

    assert await names("ada") == ["Ada Byron", "Ada Lovelace"]
    assert await names("ADA love") == ["Ada Lovelace"]
    assert await names("engine.example") == ["Charles Babbage"]
    assert await names("sw1a1aa") == ["Ada Lovelace"]
    assert await names("sw1a") == ["Charles Babbage", "Ada Lovelace"]
    assert await names("4960000") == ["Ada Byron"]
    assert await names("nobody") == []


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --", "<script>alert(1)</script>", "x" * 5000])
async def test_wildcards_sql_and_markup_are_only_text(database, query):
    await make_contact("Ada", "Lovelace", "ada@example.org")

    assert await names(query) == []


async def test_removed_contacts_never_appear(database):
    await make_contact("Ada", "Lovelace", "ada@example.org")
    await make_contact("", "", "", erased_at=NOW)

    found = await search_contacts("")

    assert found.total == 1 and [contact.name for contact in found.items] == ["Ada Lovelace"]


async def test_pages_sorting_and_the_tag_filter(database):
    ids = [await make_contact(f"Person{n:02}", "Smith", f"p{n:02}@example.org") for n in range(30)]
    tag = Tag(name="Friends")
    await tag.save()
    for contact_id in ids[:3]:
        await ContactTag(contact=contact_id, tag=tag.id).save()

    second = await search_contacts("smith", page=PageRequest(2, 25))
    assert (second.total, second.pages, len(second.items)) == (30, 2, 5)
    assert second.items[0].first_name == "Person25"
    past_the_end = await search_contacts("smith", page=PageRequest(99, 25))
    assert (past_the_end.number, past_the_end.moved, past_the_end.items) == (2, True, second.items)
    newest = await search_contacts("", sort=ContactSort.NEWEST, page=PageRequest(1, 1))
    assert newest.items[0].first_name == "Person29"
    assert await names(tag_id=tag.id) == ["Person00 Smith", "Person01 Smith", "Person02 Smith"]


async def test_notes_are_appended_with_their_author(database):
    contact = await make_contact("Ada", "Lovelace", "ada@example.org")
    author = await make_staff(email="clerk@example.org", name="Clara Clerk")

    await add_note(contact, "  Prefers aisle seats  ", author_id=author.id, now=NOW)
    await add_note(contact, "Called about access", author_id=None, now=NOW + timedelta(minutes=1))
    with pytest.raises(ValueError):
        await add_note(contact, "   ", author_id=author.id, now=NOW)

    notes = await contact_notes(contact)
    assert [(note.text, note.author_name) for note in notes] == [
        ("Called about access", None),
        ("Prefers aisle seats", "Clara Clerk"),
    ]
    assert notes[1].created_at == NOW


def test_staff_entered_details_are_tidied_and_checked():
    details = details_from_form(
        {"first_name": "  Ada  ", "last_name": "Love lace", "email": "ADA@Example.org"}
    )
    assert (details.first_name, details.last_name, details.email) == ("Ada", "Love lace", "ada@example.org")
    assert detail_problems(details) == {}
    assert detail_problems(details_from_form({"last_name": "Walk-in"})) == {}
    assert set(detail_problems(details_from_form({"last_name": "X"}), email_required=True)) == {"email"}
    assert set(detail_problems(details_from_form({"email": "not-an-address", "phone": "call me"}))) == {
        "last_name",
        "email",
        "phone",
    }


@pytest.mark.parametrize("sort", list(ContactSort))
async def test_pages_read_from_either_end_list_every_contact_once_in_order(database, sort):
    people = [("Ada", "Smith"), ("ada", "smith"), ("Bea", "Smith"), ("Cy", "Jones"), ("Ada", "Jones")]
    made = []
    for number in range(23):
        first, last = people[number % len(people)]
        created = NOW + timedelta(minutes=number % 4)  # ties, broken by id
        email = f"p{number % 7}.{number:02}@example.org"
        made.append((await make_contact(first, last, email, created_at=created), first, last, email, created))
    expected = {
        ContactSort.NAME: sorted(made, key=lambda row: (row[2].lower(), row[1].lower(), row[0])),
        ContactSort.EMAIL: sorted(made, key=lambda row: (row[3], row[0])),
        ContactSort.NEWEST: sorted(made, key=lambda row: (row[4], row[0]), reverse=True),
    }[sort]

    pages = [await search_contacts("", sort=sort, page=PageRequest(number, 5)) for number in range(1, 6)]

    assert [contact.id for page in pages for contact in page.items] == [row[0] for row in expected]
    assert [page.first_shown for page in pages] == [1, 6, 11, 16, 21]

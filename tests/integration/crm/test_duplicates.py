"""Duplicate contacts: the likely ones are listed with their reason, and a merge keeps every order,
note, tag and consent record, is audited, and refuses to merge a contact with itself."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.contacts import add_note
from boxoffice.crm.duplicates import (
    DismissRefused,
    dismiss_pair,
    likely_duplicates,
    merge_contacts,
    merged_family,
    merged_into,
)
from boxoffice.crm.tables import Contact, ContactNote, ContactTag, DismissedDuplicate, Tag
from boxoffice.marketing.consent import consent_status, record_consent
from boxoffice.marketing.tables import ConsentRecord
from boxoffice.paging import PageRequest
from boxoffice.privacy.erasure import erase_contact
from boxoffice.sales.tables import Order
from tests.integration.privacy.test_erasure import personal_data_found
from tests.support.staff import make_staff, post_form, sign_in

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def make_contact(first: str, last: str, email: str, phone: str = "", postcode: str = "") -> int:
    contact = Contact(first_name=first, last_name=last, email=email, phone=phone, postcode=postcode)
    await contact.save()
    return contact.id


async def make_order(contact_id: int, reference: str) -> None:
    await Order(
        reference=reference, channel="online", status="paid", contact=contact_id, currency="GBP", total=100
    ).save()


async def test_likely_duplicates_share_an_address_a_name_and_postcode_or_a_phone(database):
    await make_contact("Ada", "Lovelace", "ada@example.org", "0117 496 0000", "BS1 4DJ")
    await make_contact("ADA", "lovelace", "", "", "bs14dj")
    await make_contact("Augusta", "King", "", "01174960000")
    await make_contact("Charles", "Babbage", "cb@example.org", "", "SW1A 2AA")
    await make_contact("A.", "Lovelace", "ADA@Example.org")

    groups = {
        group.reason: sorted(contact.name for contact in group.contacts)
        for group in (await likely_duplicates()).items
    }

    assert groups == {
        "The same e-mail address": ["A. Lovelace", "Ada Lovelace"],
        "The same name and postcode": ["ADA lovelace", "Ada Lovelace"],
        "The same phone number": ["Ada Lovelace", "Augusta King"],
    }


async def test_a_merge_keeps_orders_notes_tags_and_consent_and_is_audited(client):
    kept = await make_contact("Ada", "Lovelace", "ada@example.org", "", "BS1 4DJ")
    merged = await make_contact("Ada", "Lovelace", "ada.work@example.org", "0117 496 0000", "BS1 4DJ")
    admin = await make_staff("admin")
    await make_order(kept, "KEPT0001")
    await make_order(merged, "MERGED01")
    await add_note(merged, "Prefers matinees", author_id=admin.id, now=NOW)
    friends, post = Tag(name="Friends"), Tag(name="Post")
    await friends.save()
    await post.save()
    await ContactTag(contact=kept, tag=friends.id).save()
    await ContactTag(contact=merged, tag=friends.id).save()
    await ContactTag(contact=merged, tag=post.id).save()
    await record_consent(
        contact_id=merged, channel="post", granted=True, source="import", wording="Form", now=NOW
    )
    await sign_in(client, admin)
    listed = (await client.get("/crm/duplicates")).text
    assert "The same name and postcode" in listed
    assert f'href="/crm/duplicates/merge?keep={kept}&amp;merge={merged}"' in listed
    review = (
        await client.get("/crm/duplicates/merge", params={"keep": str(kept), "merge": str(merged)})
    ).text
    assert f"Merge contact {merged} into contact {kept}" in review
    assert "takes phone from contact" in review
    assert "1 order, 1 note, 1 consent record and 1 tag" in " ".join(review.split())

    response = await post_form(
        client,
        "/crm/duplicates/merge",
        {"keep": str(kept), "merge": str(merged)},
        form_page="/crm/duplicates",
    )

    assert response.status_code == 303
    assert sorted(
        row["reference"] for row in await Order.select(Order.reference).where(Order.contact == kept)
    ) == [
        "KEPT0001",
        "MERGED01",
    ]
    assert await ContactNote.count().where(ContactNote.contact == kept) == 1
    assert sorted(
        row["tag"] for row in await ContactTag.select(ContactTag.tag).where(ContactTag.contact == kept)
    ) == sorted([friends.id, post.id])
    assert await ConsentRecord.count().where(ConsentRecord.contact == kept) == 1
    assert (await consent_status(kept))["post"] is True
    survivor = await Contact.select().where(Contact.id == kept).first()
    assert (survivor["email"], survivor["phone"]) == ("ada@example.org", "0117 496 0000")
    gone = await Contact.select().where(Contact.id == merged).first()
    assert gone["erased_at"] is not None and gone["email"] == ""
    [entry] = await AuditEntry.select(AuditEntry.detail, AuditEntry.object_id).where(
        AuditEntry.action == "contact.merged"
    )
    detail = json.loads(entry["detail"])
    assert entry["object_id"] == str(kept) and detail["merged"] == merged and detail["orders"] == 1
    assert detail["personal"]["merged_contact"]["email"] == "ada.work@example.org"
    assert "No likely duplicates." in (await client.get("/crm/duplicates")).text
    merged_page = await client.get(f"/crm/contacts/{merged}")
    assert merged_page.status_code == 410
    assert f'was merged into <a href="/crm/contacts/{kept}">' in merged_page.text

    await erase_contact(kept, actor_id=admin.id, ip="", now=NOW)
    assert (
        await personal_data_found(["ada.work@example.org", "ada@example.org", "0117 496 0000", "Lovelace"])
        == []
    )


async def test_merging_a_contact_with_itself_or_a_removed_one_changes_nothing(client):
    ada = await make_contact("Ada", "Lovelace", "ada@example.org")
    removed = await make_contact("", "", "")
    await Contact.update({Contact.erased_at: NOW}).where(Contact.id == removed)
    await sign_in(client, await make_staff("admin"))

    itself = await post_form(
        client, "/crm/duplicates/merge", {"keep": str(ada), "merge": str(ada)}, form_page="/crm/duplicates"
    )
    with_removed = await post_form(
        client,
        "/crm/duplicates/merge",
        {"keep": str(ada), "merge": str(removed)},
        form_page="/crm/duplicates",
    )
    review_itself = await client.get("/crm/duplicates/merge", params={"keep": str(ada), "merge": str(ada)})
    assert review_itself.status_code == 400 and "cannot be merged with itself" in review_itself.text
    nonsense = await post_form(
        client, "/crm/duplicates/merge", {"keep": "x", "merge": ""}, form_page="/crm/duplicates"
    )

    assert itself.status_code == 400 and "A contact cannot be merged with itself." in itself.text
    assert with_removed.status_code == 400 and "no longer exists or has been removed" in with_removed.text
    assert nonsense.status_code == 400 and "Choose the contact to keep" in nonsense.text
    assert (await Contact.select(Contact.erased_at).where(Contact.id == ada).first())["erased_at"] is None
    assert await AuditEntry.count().where(AuditEntry.action == "contact.merged") == 0


async def test_two_merges_of_one_pair_at_once_leave_one_contact(database):
    first = await make_contact("Ada", "Lovelace", "ada@example.org")
    second = await make_contact("Ada", "Lovelace", "ada.work@example.org")
    await make_order(first, "FIRST001")
    await make_order(second, "SECOND01")
    admin = await make_staff("admin")

    outcomes = await asyncio.gather(
        merge_contacts(first, second, actor_id=admin.id, ip="", now=NOW),
        merge_contacts(second, first, actor_id=admin.id, ip="", now=NOW),
        return_exceptions=True,
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["MergeRefused", "NoneType"]
    live = await Contact.select(Contact.id).where(Contact.erased_at.is_null())
    assert len(live) == 1
    assert await Order.count().where(Order.contact == live[0]["id"]) == 2


async def test_merges_outlive_the_audit_entries_that_recorded_them(database):
    first = await make_contact("Ada", "Lovelace", "ada@example.org")
    second = await make_contact("Ada", "Lovelace", "ada.work@example.org")
    third = await make_contact("Ada", "Lovelace", "ada.home@example.org")
    admin = await make_staff("admin")
    await merge_contacts(second, first, actor_id=admin.id, ip="", now=NOW)
    await merge_contacts(third, second, actor_id=admin.id, ip="", now=NOW)

    await AuditEntry.delete().where(AuditEntry.action == "contact.merged")  # past the audit period

    assert await merged_family(third) == [third, second, first]
    assert await merged_into(first) == second
    assert await merged_into(third) is None


async def give(contact_id: int, tags: list[int], *, others: bool, author_id: int, reference: str) -> None:
    """Tag the contact; with `others`, give it an order, a note and a consent record too."""
    for tag in tags:
        await ContactTag(contact=contact_id, tag=tag).save()
    if others:
        await make_order(contact_id, reference)
        await add_note(contact_id, f"Note on {reference}", author_id=author_id, now=NOW)
        await record_consent(
            contact_id=contact_id, channel="post", granted=True, source="import", wording="Form", now=NOW
        )


@pytest.mark.parametrize("others_on", ["neither", "kept", "merged", "both"])
@pytest.mark.parametrize("merged_tags", [(), ("Friends",), ("Friends", "Post")], ids=["none", "one", "two"])
@pytest.mark.parametrize("kept_tags", [(), ("Friends",)], ids=["none", "one"])
async def test_merge_preview_and_merge_hold_whatever_either_contact_has_or_lacks(
    client, kept_tags, merged_tags, others_on
):
    admin = await make_staff("admin")
    tag_ids = {}
    for name in ("Friends", "Post"):
        tag = Tag(name=name)
        await tag.save()
        tag_ids[name] = tag.id
    kept = await make_contact("Ada", "Lovelace", "ada@example.org", "", "BS1 4DJ")
    merged = await make_contact("Ada", "Lovelace", "ada.work@example.org", "", "BS1 4DJ")
    await give(
        kept,
        [tag_ids[n] for n in kept_tags],
        others=others_on in {"kept", "both"},
        author_id=admin.id,
        reference="KEPT0001",
    )
    await give(
        merged,
        [tag_ids[n] for n in merged_tags],
        others=others_on in {"merged", "both"},
        author_id=admin.id,
        reference="MERGED01",
    )
    moved_over = 1 if others_on in {"merged", "both"} else 0
    new_tags = len(set(merged_tags) - set(kept_tags))
    await sign_in(client, admin)

    review = await client.get("/crm/duplicates/merge", params={"keep": str(kept), "merge": str(merged)})

    assert review.status_code == 200
    summary = " ".join(review.text.split())
    plural = {"order": "orders", "note": "notes", "consent record": "consent records", "tag": "tags"}
    for noun, count in (("order", moved_over), ("note", moved_over), ("consent record", moved_over)):
        assert f"{count} {noun if count == 1 else plural[noun]}" in summary
    assert f"{new_tags} {'tag' if new_tags == 1 else 'tags'}" in summary

    response = await post_form(
        client,
        "/crm/duplicates/merge",
        {"keep": str(kept), "merge": str(merged)},
        form_page="/crm/duplicates",
    )

    assert response.status_code == 303
    expected_others = (1 if others_on in {"kept", "both"} else 0) + moved_over
    assert await Order.count().where(Order.contact == kept) == expected_others
    assert await ContactNote.count().where(ContactNote.contact == kept) == expected_others
    assert await ConsentRecord.count().where(ConsentRecord.contact == kept) == expected_others
    assert (await consent_status(kept))["post"] is (expected_others > 0)
    assert sorted(
        row["tag"] for row in await ContactTag.select(ContactTag.tag).where(ContactTag.contact == kept)
    ) == sorted(tag_ids[name] for name in set(kept_tags) | set(merged_tags))
    assert await ContactTag.count().where(ContactTag.contact == merged) == 0
    assert (await Contact.select(Contact.merged_into).where(Contact.id == merged).first())[
        "merged_into"
    ] == kept


async def test_the_groups_are_counted_and_read_a_page_at_a_time(database):
    for number in range(25):
        await make_contact("Ada", f"Twin{number:02}", f"twin{number:02}@example.org")
        await make_contact("Ada", f"Twin{number:02}", f"TWIN{number:02}@example.org")
    await make_contact("Charles", "Babbage", "cb@example.org")

    first = await likely_duplicates(PageRequest(1, 20))
    second = await likely_duplicates(PageRequest(2, 20))
    past_the_end = await likely_duplicates(PageRequest(10**9, 20))

    assert (first.total, first.pages, len(first.items)) == (25, 2, 20)
    assert (second.total, len(second.items), second.first_shown) == (25, 5, 21)
    names = [group.contacts[0].last_name for group in first.items + second.items]
    assert names == [f"Twin{number:02}" for number in range(25)]
    assert (past_the_end.number, past_the_end.moved, past_the_end.items) == (2, True, second.items)
    assert all(len(group.pairs) == 1 for group in first.items)


@pytest.mark.parametrize("size", [5, 7, 25, 30])
async def test_a_page_past_the_end_is_the_last_page_read_from_the_end(database, size):
    assert (await likely_duplicates(PageRequest(4, size))).items == []  # no groups at all: one empty page
    for number in range(25):
        await make_contact("Ada", f"Twin{number:02}", f"twin{number:02}@example.org")
        await make_contact("Ada", f"Twin{number:02}", f"TWIN{number:02}@example.org")

    past_the_end = await likely_duplicates(PageRequest(10**9, size))
    last = await likely_duplicates(PageRequest(past_the_end.pages, size))

    assert past_the_end.moved and (past_the_end.number, past_the_end.total) == (last.number, 25)
    assert past_the_end.items == last.items and len(last.items) == 25 - (last.pages - 1) * size
    assert [group.contacts[0].last_name for group in last.items][-1] == "Twin24"


async def test_a_dismissed_pair_is_never_offered_again_and_is_audited_once(database):
    admin = await make_staff("admin")
    ada = await make_contact("Ada", "Lovelace", "ada@example.org", "0117 496 0000")
    augusta = await make_contact("Augusta", "King", "", "01174960000")
    byron = await make_contact("Ada", "Byron", "", "0117 4960000")

    assert await dismiss_pair(augusta, ada, actor_id=admin.id, ip="10.0.0.1", now=NOW) is True
    assert await dismiss_pair(ada, augusta, actor_id=admin.id, ip="10.0.0.1", now=NOW) is False
    [group] = (await likely_duplicates()).items
    assert [(pair.first.id, pair.second.id) for pair in group.pairs] == [(ada, byron), (augusta, byron)]
    assert [contact.id for contact in group.contacts] == [ada, augusta, byron] and group.members == 3

    await dismiss_pair(ada, byron, actor_id=admin.id, ip="10.0.0.1", now=NOW)
    [group] = (await likely_duplicates()).items
    assert [(pair.first.id, pair.second.id) for pair in group.pairs] == [(augusta, byron)]
    assert [contact.id for contact in group.contacts] == [augusta, byron]

    await dismiss_pair(byron, augusta, actor_id=admin.id, ip="10.0.0.1", now=NOW)
    nothing = await likely_duplicates()
    assert (nothing.total, nothing.items) == (0, [])
    rows = await DismissedDuplicate.select(DismissedDuplicate.contact, DismissedDuplicate.other_contact)
    assert sorted((row["contact"], row["other_contact"]) for row in rows) == [
        (ada, augusta),
        (ada, byron),
        (augusta, byron),
    ]
    entries = await AuditEntry.select(AuditEntry.object_id, AuditEntry.detail, AuditEntry.ip).where(
        AuditEntry.action == "contact.duplicate_dismissed"
    )
    assert len(entries) == 3
    assert (entries[0]["object_id"], json.loads(entries[0]["detail"]), entries[0]["ip"]) == (
        str(ada),
        {"other": augusta},
        "10.0.0.1",
    )


async def test_a_dismissal_of_one_contact_or_a_removed_one_is_refused(database):
    admin = await make_staff("admin")
    ada = await make_contact("Ada", "Lovelace", "ada@example.org")
    removed = await make_contact("", "", "")
    await Contact.update({Contact.erased_at: NOW}).where(Contact.id == removed)

    with pytest.raises(DismissRefused, match="two different contacts"):
        await dismiss_pair(ada, ada, actor_id=admin.id, ip="", now=NOW)
    with pytest.raises(DismissRefused, match="no longer exists or has been removed"):
        await dismiss_pair(ada, removed, actor_id=admin.id, ip="", now=NOW)
    with pytest.raises(DismissRefused, match="no longer exists or has been removed"):
        await dismiss_pair(ada, 2**31 - 1, actor_id=admin.id, ip="", now=NOW)

    assert await DismissedDuplicate.count() == 0
    assert await AuditEntry.count().where(AuditEntry.action == "contact.duplicate_dismissed") == 0


async def test_a_merge_moves_the_merged_contacts_dismissals_to_the_kept_one(database):
    admin = await make_staff("admin")
    kept = await make_contact("Ada", "Lovelace", "ada@example.org", "0117 496 0000")
    merged = await make_contact("Ada", "Lovelace", "ada.work@example.org", "0117 496 0000")
    other = await make_contact("Augusta", "King", "", "0117 496 0000")
    await dismiss_pair(merged, other, actor_id=admin.id, ip="", now=NOW)
    await dismiss_pair(kept, merged, actor_id=admin.id, ip="", now=NOW)

    await merge_contacts(kept, merged, actor_id=admin.id, ip="", now=NOW)

    rows = await DismissedDuplicate.select(DismissedDuplicate.contact, DismissedDuplicate.other_contact)
    assert [(row["contact"], row["other_contact"]) for row in rows] == [(kept, other)]
    assert (await likely_duplicates()).total == 0


async def test_removing_a_contact_drops_the_pairs_dismissed_with_them(database):
    admin = await make_staff("admin")
    ada = await make_contact("Ada", "Lovelace", "ada@example.org", "0117 496 0000")
    augusta = await make_contact("Augusta", "King", "augusta@example.org", "0117 496 0000")
    byron = await make_contact("Ada", "Byron", "byron@example.org", "0117 496 0000")
    await dismiss_pair(ada, augusta, actor_id=admin.id, ip="", now=NOW)
    await dismiss_pair(augusta, byron, actor_id=admin.id, ip="", now=NOW)

    await erase_contact(augusta, actor_id=admin.id, ip="", now=NOW)

    assert await DismissedDuplicate.count() == 0
    [group] = (await likely_duplicates()).items
    assert [(pair.first.id, pair.second.id) for pair in group.pairs] == [(ada, byron)]

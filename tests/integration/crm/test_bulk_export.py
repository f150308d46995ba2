"""Bulk export of contacts: CSV and XLSX that a spreadsheet never runs as formulas, honouring the search
and tag filter, leaving out restricted and removed contacts, audited, and streamed: 100,000 contacts go
out in bounded memory."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.crm import bulk_export
from boxoffice.crm.tables import Contact, ContactTag, Tag
from boxoffice.marketing.consent import record_consent
from tests.support.history import add_many_contacts
from tests.support.staff import make_staff, sign_in

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HOSTILE = ['=HYPERLINK("x")', "=1+2", "+SUM(A1:A2)", "-2+3", "@cmd", "\tTAB", "\rCR"]
MANY = 100_000
MOST_MEMORY = 16 * 2**20  # the batches in flight; loading every row at once would take far more


async def make_contact(first: str, last: str, email: str, **extra) -> int:
    contact = Contact(first_name=first, last_name=last, email=email, created_at=NOW, **extra)
    await contact.save()
    return contact.id


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(content: bytes) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [
        [cell if cell is not None else "" for cell in row] for row in book.active.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_cells_that_look_like_formulas_are_neutralised(client, file_format):
    for number, value in enumerate(HOSTILE):
        await make_contact(value, value, f"p{number}@example.org", phone=value, postcode=value)
    await sign_in(client, await make_staff("marketing"))

    response = await client.get("/crm/export/contacts", params={"file_format": file_format})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(bulk_export.FORMATS[file_format].split(";")[0])
    rows = (csv_rows if file_format == "csv" else xlsx_rows)(response.content)
    assert rows[0] == list(bulk_export.HEADINGS)
    assert len(rows) == 1 + len(HOSTILE)
    for row in rows[1:]:
        first, last, phone, postcode = row[1], row[2], row[4], row[5]
        for cell in (first, last, phone, postcode):
            assert cell.startswith("'") and cell[1:] in HOSTILE, repr(cell)


async def test_the_export_follows_the_search_and_tag_and_leaves_out_restricted_and_removed(client):
    friends = Tag(name="Friends")
    await friends.save()
    ada = await make_contact("Ada", "Lovelace", "ada@example.org")
    await make_contact("Ada", "Restricted", "ada.r@example.org", restricted=True)
    await make_contact("", "", "", erased_at=NOW)
    await make_contact("Charles", "Babbage", "cb@example.org")
    for contact_id in (ada,):
        await ContactTag(contact=contact_id, tag=friends.id).save()
    await record_consent(
        contact_id=ada, channel="email", granted=True, source="import", wording="Paper form, 2025", now=NOW
    )
    marketing = await make_staff("marketing")
    await sign_in(client, marketing)

    everyone = csv_rows((await client.get("/crm/export/contacts")).content)
    searched = csv_rows((await client.get("/crm/export/contacts", params={"q": "ada"})).content)
    tagged = csv_rows((await client.get("/crm/export/contacts", params={"tag": str(friends.id)})).content)

    assert [row[3] for row in everyone[1:]] == ["ada@example.org", "cb@example.org"]
    assert [row[3] for row in searched[1:]] == ["ada@example.org"]
    assert tagged[1:] == [
        [
            str(ada),
            "Ada",
            "Lovelace",
            "ada@example.org",
            "",
            "",
            "2026-11-21 12:00",
            "Friends",
            "Opt in",
            "Opt out",
            "Opt out",
        ]
    ]
    audited = await AuditEntry.select(AuditEntry.actor, AuditEntry.detail).where(
        AuditEntry.action == "contacts.exported"
    )
    assert [json.loads(row["detail"]) for row in audited] == [
        {"format": "csv", "searched": False, "tag": None, "contacts": 2},
        {"format": "csv", "searched": True, "tag": None, "contacts": 1},
        {"format": "csv", "searched": False, "tag": friends.id, "contacts": 1},
    ]
    assert {row["actor"] for row in audited} == {marketing.id}
    assert "ada" not in str(audited).lower()  # the search words may be a name: not kept


async def test_staff_without_the_export_permission_are_refused(client):
    await make_contact("Ada", "Lovelace", "ada@example.org")
    await sign_in(client, await make_staff("box_office_operator", enrolled=False))

    assert (await client.get("/crm/export/contacts")).status_code == 403
    assert (await client.get("/crm/export")).status_code == 403
    assert "XLSX" not in (await client.get("/crm/contacts")).text
    assert await AuditEntry.count().where(AuditEntry.action == "contacts.exported") == 0


async def test_an_unknown_format_is_refused_with_a_message(client):
    await make_contact("Ada", "Lovelace", "ada@example.org")
    await sign_in(client, await make_staff("marketing"))

    wrong = await client.get("/crm/export/contacts", params={"file_format": "xls<script>"})

    assert wrong.status_code == 400 and "Choose CSV or XLSX." in wrong.text and "<script>" not in wrong.text
    page = (await client.get("/crm/export", params={"q": "lovelace"})).text
    assert "1 contact would be exported with these filters." in page
    assert await AuditEntry.count().where(AuditEntry.action == "contacts.exported") == 0


def count_row_ends(sheet: BinaryIO) -> int:
    """How many rows end in the sheet's XML, read a megabyte at a time. The carried tail is shorter
    than the tag, so a tag cut between two reads is counted once."""
    rows, carry = 0, b""
    while chunk := sheet.read(1 << 20):
        rows += (carry + chunk).count(b"</row>")
        carry = chunk[-5:]
    return rows


async def peak_memory_of_export(file_format: str, destination: Path) -> int:
    """Write the whole export to a file and return the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        with destination.open("wb") as file:
            async for chunk in bulk_export.CHUNKS[file_format]("", None):
                file.write(chunk)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_a_hundred_thousand_contacts_export_in_bounded_memory(
    database, tmp_path, file_format, report_figure
):
    await add_many_contacts(MANY)
    exported = tmp_path / f"contacts.{file_format}"

    peak = await peak_memory_of_export(file_format, exported)

    report_figure(
        f"{file_format.upper()} export of {MANY:,} contacts: peak Python memory {peak / 2**20:.1f} MiB"
    )
    assert peak < MOST_MEMORY
    if file_format == "csv":
        with exported.open(encoding="utf-8-sig", newline="") as file:
            rows = sum(1 for _ in csv.reader(file))
        assert rows == MANY + 1
    else:
        with zipfile.ZipFile(exported) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
            rows = count_row_ends(sheet)
        assert rows == MANY + 1
        book = openpyxl.load_workbook(exported, read_only=True)
        first_rows = list(book.active.iter_rows(min_row=2, max_row=3, values_only=True))
        assert first_rows[0][1:4] == ("First1", "Last1", "person1@example.org")

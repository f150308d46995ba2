"""Bulk export of contacts as CSV or XLSX, for mail merges and the venue's own records.

It takes the contacts list's search and tag filter, and leaves out removed contacts and those whose
processing is restricted. Rows are read a batch at a time (by id, so each batch is one indexed range
read) and each batch is written out before the next is read: 100,000 contacts export in the memory
of a few batches, and the download starts at once.

A cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return)
gets a leading apostrophe [OWASP CSV injection], in CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from boxoffice.auth import audit
from boxoffice.crm.contacts import MAX_QUERY_LENGTH, search_condition
from boxoffice.crm.tables import Contact
from boxoffice.crm.xlsx import StreamingWorkbook
from boxoffice.db import as_utc
from boxoffice.marketing.tables import Channel

BATCH_SIZE = 1000
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADINGS = (
    "Contact id",
    "First name",
    "Last name",
    "E-mail",
    "Phone",
    "Postcode",
    "Added (UTC)",
    "Tags",
    "Venue marketing by e-mail",
    "Venue marketing by post",
    "Venue marketing by phone",
)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralised(value: str) -> str:
    """The cell as text a spreadsheet shows, never runs."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def export_filter(query: str, tag_id: int | None) -> tuple[str, list[object]]:
    return search_condition(query[:MAX_QUERY_LENGTH], tag_id, include_restricted=False)


async def exported_count(query: str, tag_id: int | None) -> int:
    where, values = export_filter(query, tag_id)
    [counted] = await Contact.raw(f"SELECT COUNT(*) AS total FROM contact WHERE {where}", *values)
    return counted["total"]


async def batch_extras(
    first_id: int, last_id: int
) -> tuple[dict[int, list[str]], dict[int, dict[str, bool]]]:
    """The tags and current consent of the contacts with ids in [first_id, last_id]."""
    tags: dict[int, list[str]] = {}
    for row in await Contact.raw(
        "SELECT contact_tag.contact, tag.name FROM contact_tag JOIN tag ON tag.id = contact_tag.tag "
        "WHERE contact_tag.contact >= {} AND contact_tag.contact <= {} ORDER BY LOWER(tag.name)",
        first_id,
        last_id,
    ):
        tags.setdefault(row["contact"], []).append(row["name"])
    consent: dict[int, dict[str, bool]] = {}
    for row in await Contact.raw(
        "SELECT contact, channel, granted FROM consent_record WHERE contact >= {} AND contact <= {} "
        "ORDER BY recorded_at, id",
        first_id,
        last_id,
    ):
        consent.setdefault(row["contact"], {})[row["channel"]] = bool(row["granted"])
    return tags, consent


async def exported_rows(query: str, tag_id: int | None) -> AsyncIterator[list[list[str]]]:
    """The export's rows, neutralised, one batch at a time in id order."""
    where, values = export_filter(query, tag_id)
    after_id = 0
    while True:
        rows = await Contact.raw(
            "SELECT id, first_name, last_name, email, phone, postcode, created_at FROM contact "
            f"WHERE {where} AND id > {{}} ORDER BY id LIMIT {{}}",
            *values,
            after_id,
            BATCH_SIZE,
        )
        if not rows:
            return
        tags, consent = await batch_extras(rows[0]["id"], rows[-1]["id"])
        batch = []
        for row in rows:
            status = consent.get(row["id"], {})
            cells = [
                str(row["id"]),
                row["first_name"],
                row["last_name"],
                row["email"],
                row["phone"],
                row["postcode"],
                as_utc(row["created_at"]).strftime("%Y-%m-%d %H:%M"),
                ", ".join(tags.get(row["id"], [])),
                *("Opt in" if status.get(channel.value) else "Opt out" for channel in Channel),
            ]
            batch.append([neutralised(cell) for cell in cells])
        yield batch
        after_id = rows[-1]["id"]


async def csv_chunks(query: str, tag_id: int | None) -> AsyncIterator[bytes]:
    """The export as UTF-8 CSV (with a byte-order mark, so spreadsheets read the accents right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for batch in exported_rows(query, tag_id):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode()


async def xlsx_chunks(query: str, tag_id: int | None) -> AsyncIterator[bytes]:
    """The export as an XLSX workbook of one sheet, streamed as it is written."""
    book = StreamingWorkbook("Contacts")
    book.add_rows([HEADINGS])
    async for batch in exported_rows(query, tag_id):
        book.add_rows(batch)
        chunk = book.take()
        if chunk:
            yield chunk
    yield book.close()


CHUNKS = {"csv": csv_chunks, "xlsx": xlsx_chunks}


async def start_export(
    file_format: str, query: str, tag_id: int | None, *, actor_id: int, ip: str
) -> AsyncIterator[bytes]:
    """Audit a bulk export and return its content, to be streamed. The audit keeps how many contacts
    it held and whether it was filtered, not the search words, which may be someone's name."""
    await audit.record(
        "contacts.exported",
        actor_id=actor_id,
        ip=ip,
        object_type="contacts",
        detail={
            "format": file_format,
            "searched": bool(query.strip()),
            "tag": tag_id,
            "contacts": await exported_count(query, tag_id),
        },
    )
    return CHUNKS[file_format](query, tag_id)

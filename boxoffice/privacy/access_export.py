"""Export (the right of access, GDPR 15): everything held on one contact, as JSON for machines and as
a PDF for the person.

"Everything" means: their details and the audited changes to them, their orders (with the buyer details
given on each, the lines, tickets, payments and refunds), unpaid or lapsed orders placed with their
e-mail address, the consent history with its wording and evidence, notes, tags, and every e-mail sent or
queued to them with its attachments' names, and their privacy requests with what was done on them.
The PDF is rendered by WeasyPrint off the event loop, through the ticket renderer's thread pool and
fetcher, so it too can load nothing but our own assets.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from boxoffice.auth import audit
from boxoffice.crm.contacts import contact_notes
from boxoffice.crm.duplicates import merged_family
from boxoffice.crm.records import CHANNEL_LABELS, detail_changes, live_contact
from boxoffice.crm.tables import Contact
from boxoffice.crm.tags import contact_tags
from boxoffice.db import as_utc
from boxoffice.documents.paths import TEMPLATES_DIR
from boxoffice.documents.pdf import render_pdf
from boxoffice.marketing.consent import consent_history, consent_status
from boxoffice.money import Money
from boxoffice.privacy.erasure import audited_values
from boxoffice.privacy.requests import contact_requests
from boxoffice.sales.catalog import house_format

ORDER_COLUMNS = (
    "id, reference, channel, status, contact, first_name, last_name, email, phone, postcode, currency, "
    "total, terms_version, privacy_version, marketing_opt_in, buyer_ip, stripe_session, created_at, "
    "expires_at, paid_at"
)


def plain(value: Any) -> Any:
    """A database value as JSON holds it: times as ISO 8601 in UTC, flags as booleans."""
    if isinstance(value, datetime):
        return as_utc(value).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def plain_row(row: dict[str, Any], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {key: plain(value) for key, value in row.items() if key not in drop}


async def person_orders(contact_id: int, emails: list[str]) -> list[dict[str, Any]]:
    """The contact's orders, and orders never linked to a contact but placed with their addresses."""
    placeholders = ", ".join("{}" for _ in emails) or "NULL"
    return await Contact.raw(
        f'SELECT {ORDER_COLUMNS} FROM "order" WHERE contact = {{}} '
        f"OR (contact IS NULL AND email IN ({placeholders})) ORDER BY created_at, id",
        contact_id,
        *emails,
    )


async def order_parts(order_id: int) -> dict[str, list[dict[str, Any]]]:
    lines = await Contact.raw(
        'SELECT id, description, quantity, unit_price FROM order_line WHERE "order" = {} ORDER BY id',
        order_id,
    )
    tickets = await Contact.raw(
        "SELECT k.code, k.status, k.issued_at, e.title AS event, p.starts_at, t.name AS ticket_type, "
        "s.section, s.row, s.label AS seat, a.admitted_at "
        "FROM ticket k JOIN order_line l ON l.id = k.order_line "
        "JOIN ticket_type t ON t.id = l.ticket_type JOIN performance p ON p.id = k.performance "
        "JOIN event e ON e.id = p.event LEFT JOIN admission a ON a.ticket = k.id "
        "LEFT JOIN performance_seat s ON s.id = k.seat "
        'WHERE k."order" = {} ORDER BY k.id',
        order_id,
    )
    payments = await Contact.raw(
        "SELECT method, amount, currency, tendered, refunded, reason, provider_reference, created_at "
        'FROM payment WHERE "order" = {} ORDER BY id',
        order_id,
    )
    refunds = await Contact.raw(
        'SELECT amount, currency, reason, provider_reference, created_at FROM refund WHERE "order" = {} '
        "ORDER BY id",
        order_id,
    )
    notes = await Contact.raw(
        'SELECT text, created_at FROM order_note WHERE "order" = {} ORDER BY created_at, id', order_id
    )
    return {
        "lines": [plain_row(row, drop=("id",)) for row in lines],
        "tickets": [plain_row(row) for row in tickets],
        "payments": [plain_row(row) for row in payments],
        "refunds": [plain_row(row) for row in refunds],
        "notes": [plain_row(row) for row in notes],
    }


async def emails_to(addresses: list[str]) -> list[dict[str, Any]]:
    if not addresses:
        return []
    placeholders = ", ".join("{}" for _ in addresses)
    messages = await Contact.raw(
        "SELECT id, recipient, subject, text_body, html_body, headers, kind, status, created_at, sent_at "
        f"FROM outbox_message WHERE LOWER(recipient) IN ({placeholders}) ORDER BY created_at, id",
        *addresses,
    )
    exported = []
    for message in messages:
        attachments = await Contact.raw(
            "SELECT filename, content_type FROM outbox_attachment WHERE message = {} ORDER BY id",
            message["id"],
        )
        headers = message["headers"]
        exported.append(
            {
                **plain_row(message, drop=("id", "headers")),
                "headers": json.loads(headers) if isinstance(headers, str) else headers,
                "attachments": [plain_row(row) for row in attachments],
            }
        )
    return exported


async def contact_export(contact_id: int, *, now: datetime) -> dict[str, Any]:
    """Everything held on a live contact (see the module's docstring); raises ContactGone."""
    contact = await live_contact(contact_id)
    family = await merged_family(contact_id)  # contacts merged into this one hold their past, too
    earlier = audited_values(await audit.personal_entries("contact", [str(each) for each in family]))
    known = {value.lower() for value in (contact["email"], *earlier) if "@" in value}
    orders = await person_orders(contact_id, sorted(known))
    addresses = sorted(known | {row["email"].lower() for row in orders if row["email"]})
    status = await consent_status(contact_id)
    return {
        "exported_at": plain(now),
        "contact": plain_row(contact, drop=("erased_at",)),
        "marketing": {
            CHANNEL_LABELS[channel]: "Opt in" if granted else "Opt out" for channel, granted in status.items()
        },
        "consent_history": [
            {
                "recorded_at": plain(entry.recorded_at),
                "channel": entry.channel,
                "granted": entry.granted,
                "source": entry.source,
                "wording": entry.wording,
                "wording_version": entry.wording_version,
                "note": entry.note,
                "recorded_by": entry.actor_name,
                "ip": entry.ip,
            }
            for entry in await consent_history(contact_id)
        ],
        "orders": [{**plain_row(order), **await order_parts(order["id"])} for order in orders],
        "notes": [
            {"created_at": plain(note.created_at), "author": note.author_name, "text": note.text}
            for note in await contact_notes(contact_id)
        ],
        "tags": [tag.name for tag in await contact_tags(contact_id)],
        "emails": await emails_to(addresses),
        "privacy_requests": [
            {
                "kind": request.kind,
                "made_by": request.channel,
                "received_on": plain(request.received_on),
                "due_on": plain(request.due_on),
                "status": request.status,
                "actions": [
                    {"at": plain(action.at), "action": action.action, "detail": action.detail}
                    for action in request.actions
                ],
            }
            for request in await contact_requests(contact_id)
        ],
        "changes_to_details": [
            {"at": plain(change.at), "by": change.actor_name, "values": change.values}
            for change in await detail_changes(family)
        ],
    }


async def record_export(contact_id: int, file_format: str, *, actor_id: int, ip: str) -> None:
    await audit.record(
        "contact.exported",
        actor_id=actor_id,
        ip=ip,
        object_type="contact",
        object_id=contact_id,
        detail={"format": file_format},
    )


def export_json(export: dict[str, Any]) -> bytes:
    return json.dumps(export, indent=2, ensure_ascii=False, sort_keys=False).encode()


@functools.cache
def export_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "crm"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )
    environment.globals["money"] = Money
    return environment


async def export_pdf(export: dict[str, Any]) -> bytes:
    """The export as a PDF the person can read (money and dates as the venue writes them), rendered off
    the event loop."""
    html = (
        export_environment()
        .get_template("access_export.html")
        .render(export=export, fmt=await house_format())
    )
    return await render_pdf(html)

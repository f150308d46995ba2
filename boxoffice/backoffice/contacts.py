"""CRM → Contacts: the searchable list, the record, and what staff change on it: details, notes,
consent, restriction and tags.

Each route reads its form, calls one service (`crm.records`, `crm.contacts`, `crm.tags`) and answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.crm import duplicates, records, tags
from boxoffice.crm.contacts import (
    MAX_NOTE_LENGTH,
    MAX_QUERY_LENGTH,
    ContactSort,
    details_from_form,
    search_contacts,
)
from boxoffice.db import LARGEST_ID, parse_id
from boxoffice.paging import PageRequest
from boxoffice.sales.catalog import house_format
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

CONTACTS = {"permission": Perm.CRM_CONTACTS}


# Tagging everyone a search finds acts on, and answers with, contacts: it needs the Contacts menu too.
TAG_FOUND_CONTACTS = {"permission": Perm.CRM_TAGS, "also_requires": (Perm.CRM_CONTACTS,)}


PAGE_SIZE = 25


RECORD_NOTICES = {
    "created": "The contact has been added.",
    "updated": "The contact's details have been saved.",
    "unchanged": "Nothing was changed.",
    "note": "The note has been added.",
    "consent": "The consent change has been recorded.",
    "restricted": "Processing is restricted: the contact is left out of marketing and exports.",
    "unrestricted": "The restriction has been lifted.",
    "tagged": "The tag has been added.",
    "untagged": "The tag has been taken off.",
}


LIST_NOTICES = {
    "tagged": "The tag has been added to the contacts found.",
    "removed": "The contact has been removed. Their orders are kept without their details.",
}


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """The contacts list's search, tag filter, sort and page as given in the address, made safe."""

    text: str
    tag_id: int | None
    sort: ContactSort
    page: PageRequest

    @classmethod
    def parse(cls, q: str, tag: str, sort: str, page: str) -> ContactQuery:
        return cls(
            text=" ".join(q.split())[:MAX_QUERY_LENGTH],
            tag_id=parse_id(tag),
            sort=ContactSort(sort) if sort in ContactSort.__members__.values() else ContactSort.NAME,
            page=PageRequest.parse(page, size=PAGE_SIZE),
        )

    def filters(self) -> dict[str, str]:
        """The search, tag and sort as address parameters (those left empty left out), for the pager's
        links and for coming back to the same search."""
        values = {"q": self.text, "tag": self.tag_id or "", "sort": self.sort.value}
        return {key: str(value) for key, value in values.items() if value not in ("", None)}


async def contacts_page(
    request: Request, acting: Acting, query: ContactQuery, *, notice: str = ""
) -> Template:
    found = await search_contacts(query.text, tag_id=query.tag_id, sort=query.sort, page=query.page)
    context = {
        "found": found,
        "query": query,
        "tags": await tags.list_tags(),
        "sorts": [(ContactSort.NAME, "Name"), (ContactSort.EMAIL, "E-mail"), (ContactSort.NEWEST, "Newest")],
        "notice": notice,
        "may_export": acting.staff.may(Perm.CRM_EXPORT),
        "may_tag_all": acting.staff.may(Perm.CRM_TAGS),
        "long_query": len(request.query_params.get("q", "")) > MAX_QUERY_LENGTH,
    }
    fragment = request.headers.get("hx-target") == "contact-results"
    return Template("crm/_contact_results.html" if fragment else "crm/contacts.html", context=context)


@get("/crm/contacts", name="crm.contacts", opt=CONTACTS)
async def contacts(
    request: Request,
    acting: Acting,
    q: FromQuery[str] = "",
    tag: FromQuery[str] = "",
    sort: FromQuery[str] = "",
    page: FromQuery[str] = "",
    done: FromQuery[str] = "",
) -> Template:
    return await contacts_page(
        request, acting, ContactQuery.parse(q, tag, sort, page), notice=LIST_NOTICES.get(done, "")
    )


@dataclass(frozen=True, slots=True)
class RecordPages:
    """Which page of the contact's orders and of their tickets the record shows, each paged on its own."""

    orders: PageRequest = records.ORDERS_PAGE
    tickets: PageRequest = records.TICKETS_PAGE

    @classmethod
    def parse(cls, orders_page: str, tickets_page: str) -> RecordPages:
        return cls(
            PageRequest.parse(orders_page, size=records.ORDERS_PAGE.size),
            PageRequest.parse(tickets_page, size=records.TICKETS_PAGE.size),
        )


async def record_page(
    acting: Acting,
    contact_id: int,
    *,
    notice: str = "",
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    pages: RecordPages | None = None,
) -> Template:
    pages = pages or RecordPages()
    try:
        record = await records.open_record(
            contact_id,
            actor_id=acting.staff_id,
            ip=acting.ip,
            orders_page=pages.orders,
            tickets_page=pages.tickets,
        )
    except records.ContactGone:
        return await gone_page(contact_id)
    return Template(
        "crm/contact.html",
        context={
            "contact": record,
            "fmt": await house_format(),
            "may_export": acting.staff.may(Perm.CRM_EXPORT),
            "may_remove": acting.staff.may(Perm.CRM_REMOVE),
            "may_log_privacy_request": acting.staff.may(Perm.CRM_PRIVACY_REQUESTS),
            "may_open_orders": acting.staff.may(Perm.BOX_OFFICE_ORDERS),
            "channels": records.CHANNEL_LABELS,
            "means": records.CONSENT_MEANS,
            "all_tags": await tags.list_tags(),
            "notice": notice,
            "problems": problems or {},
            "values": values or {},
            "max_note_length": MAX_NOTE_LENGTH,
            # Each list's pager keeps the other list's page in its links.
            "shown_pages": {
                "orders_page": str(record.orders.number) if record.orders.number > 1 else "",
                "tickets_page": str(record.tickets.number) if record.tickets.number > 1 else "",
            },
        },
        status_code=status_code,
    )


async def gone_page(contact_id: int) -> Template:
    row = await records.contact_row(contact_id) if 1 <= contact_id <= LARGEST_ID else None
    if row is None:
        raise NotFoundException()
    return Template(
        "crm/contact_removed.html",
        context={
            "contact": records.record_from_row(row),
            "merged_into": await duplicates.merged_into(contact_id),
        },
        status_code=410,
    )


@get("/crm/contacts/{contact_id:int}", name="crm.contact", opt=CONTACTS)
async def contact(
    acting: Acting,
    contact_id: FromPath[int],
    done: FromQuery[str] = "",
    orders_page: FromQuery[str] = "",
    tickets_page: FromQuery[str] = "",
) -> Template:
    return await record_page(
        acting,
        contact_id,
        notice=RECORD_NOTICES.get(done, ""),
        pages=RecordPages.parse(orders_page, tickets_page),
    )


def back_to_record(request: Request, contact_id: int, done: str) -> Redirect:
    return Redirect(
        path=request.app.route_reverse("crm.contact", contact_id=contact_id),
        query_params={"done": done},
        status_code=303,
    )


@dataclass
class DetailsForm:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    postcode: str = ""


def edit_page(
    contact_id: int | None, values: dict[str, str], problems: dict[str, str], status_code: int = 200
) -> Template:
    """The details form: for a new contact when `contact_id` is None."""
    return Template(
        "crm/contact_edit.html",
        context={"contact_id": contact_id, "values": values, "problems": problems},
        status_code=status_code,
    )


@dataclass
class BulkTagForm:
    tag: str = ""
    q: str = ""
    filter_tag: str = ""


@post("/crm/contacts/tag", name="crm.contacts.tag", opt=TAG_FOUND_CONTACTS)
async def tag_found_contacts(
    request: Request, acting: Acting, data: Annotated[BulkTagForm, FORM]
) -> Template | Redirect:
    query = ContactQuery.parse(data.q, data.filter_tag, "", "")
    try:
        await tags.tag_matching(
            parse_id(data.tag) or 0,
            query.text,
            query.tag_id,
            actor_id=acting.staff_id,
            ip=acting.ip,
            now=acting.now,
        )
    except tags.TagRefused as refusal:
        page = await contacts_page(request, acting, query, notice=str(refusal))
        page.status_code = 400
        return page
    return Redirect(
        path=request.app.route_reverse("crm.contacts"),
        query_params={**query.filters(), "done": "tagged"},
        status_code=303,
    )


@get("/crm/contacts/new", name="crm.contacts.new", opt=CONTACTS)
async def new_contact() -> Template:
    return edit_page(None, dict.fromkeys(records.DETAIL_FIELDS, ""), {})


@post("/crm/contacts/new", name="crm.contacts.create", opt=CONTACTS)
async def create_contact(
    request: Request, acting: Acting, data: Annotated[DetailsForm, FORM]
) -> Template | Redirect:
    submitted = {name: getattr(data, name) for name in records.DETAIL_FIELDS}
    try:
        contact_id = await records.create_contact(
            details_from_form(submitted), actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        )
    except records.ChangeRefused as refusal:
        return edit_page(None, submitted, refusal.problems, status_code=400)
    return back_to_record(request, contact_id, "created")


@get("/crm/contacts/{contact_id:int}/edit", name="crm.contact.edit", opt=CONTACTS)
async def edit_contact(contact_id: FromPath[int]) -> Template:
    row = await records.live_contact(contact_id)
    return edit_page(contact_id, {name: row[name] for name in records.DETAIL_FIELDS}, {})


@post("/crm/contacts/{contact_id:int}/edit", name="crm.contact.update", opt=CONTACTS)
async def update_contact(
    request: Request, acting: Acting, contact_id: FromPath[int], data: Annotated[DetailsForm, FORM]
) -> Template | Redirect:
    submitted = {name: getattr(data, name) for name in records.DETAIL_FIELDS}
    try:
        changed = await records.update_details(
            contact_id,
            details_from_form(submitted),
            actor_id=acting.staff_id,
            ip=acting.ip,
            now=acting.now,
        )
    except records.ChangeRefused as refusal:
        return edit_page(contact_id, submitted, refusal.problems, status_code=400)
    return back_to_record(request, contact_id, "updated" if changed else "unchanged")


@dataclass
class NoteForm:
    text: str = ""


@post("/crm/contacts/{contact_id:int}/notes", name="crm.contact.note", opt=CONTACTS)
async def note(
    request: Request, acting: Acting, contact_id: FromPath[int], data: Annotated[NoteForm, FORM]
) -> Template | Redirect:
    try:
        await records.note_on_contact(contact_id, data.text, author_id=acting.staff_id, now=acting.now)
    except ValueError:
        return await record_page(
            acting, contact_id, problems={"text": "Write the note before adding it."}, status_code=400
        )
    return back_to_record(request, contact_id, "note")


@dataclass
class ConsentForm:
    channel: str = ""
    decision: str = ""
    means: str = ""
    note: str = ""


@post("/crm/contacts/{contact_id:int}/consent", name="crm.contact.consent", opt=CONTACTS)
async def consent(
    request: Request, acting: Acting, contact_id: FromPath[int], data: Annotated[ConsentForm, FORM]
) -> Template | Redirect:
    try:
        await records.record_staff_consent(
            contact_id,
            channel=data.channel,
            decision=data.decision,
            means=data.means,
            note=data.note,
            actor_id=acting.staff_id,
            ip=acting.ip,
            now=acting.now,
        )
    except records.ChangeRefused as refusal:
        values = {
            "channel": data.channel,
            "decision": data.decision,
            "means": data.means,
            "consent_note": data.note,
        }
        return await record_page(
            acting, contact_id, problems=refusal.problems, values=values, status_code=400
        )
    return back_to_record(request, contact_id, "consent")


@dataclass
class RestrictionForm:
    restricted: str = ""


@post("/crm/contacts/{contact_id:int}/restriction", name="crm.contact.restriction", opt=CONTACTS)
async def restriction(
    request: Request, acting: Acting, contact_id: FromPath[int], data: Annotated[RestrictionForm, FORM]
) -> Redirect:
    restricted = data.restricted == "yes"
    await records.set_restricted(
        contact_id, restricted, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
    )
    return back_to_record(request, contact_id, "restricted" if restricted else "unrestricted")


@dataclass
class TagChoiceForm:
    tag: str = ""


@post("/crm/contacts/{contact_id:int}/tags", name="crm.contact.tag", opt=CONTACTS)
async def tag_contact(
    request: Request, acting: Acting, contact_id: FromPath[int], data: Annotated[TagChoiceForm, FORM]
) -> Template | Redirect:
    try:
        await tags.tag_contact(
            contact_id, parse_id(data.tag) or 0, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        )
    except tags.TagRefused as refusal:
        return await record_page(acting, contact_id, problems={"tag": str(refusal)}, status_code=400)
    return back_to_record(request, contact_id, "tagged")


@post("/crm/contacts/{contact_id:int}/tags/{tag_id:int}/remove", name="crm.contact.untag", opt=CONTACTS)
async def untag_contact(
    request: Request, acting: Acting, contact_id: FromPath[int], tag_id: FromPath[int]
) -> Redirect:
    await tags.untag_contact(contact_id, tag_id, actor_id=acting.staff_id, ip=acting.ip)
    return back_to_record(request, contact_id, "untagged")


ROUTES = [
    contacts,
    contact,
    tag_found_contacts,
    new_contact,
    create_contact,
    edit_contact,
    update_contact,
    note,
    consent,
    restriction,
    tag_contact,
    untag_contact,
]

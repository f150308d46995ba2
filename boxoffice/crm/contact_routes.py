"""CRM pages for contacts: the searchable list, the record, edits, notes, consent, restriction, tags,
Remove (erasure), Export (access), bulk export, the tag list and duplicates.

Each route reads its form, calls one service and answers; the rules live in the services
(`crm.records`, `crm.tags`, `crm.erasure`, `crm.access_export`, `crm.bulk_export`, `crm.duplicates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Stream, Template

from boxoffice.auth import audit
from boxoffice.auth.guards import client_ip
from boxoffice.auth.permissions import Perm
from boxoffice.crm import access_export, bulk_export, duplicates, erasure, records, tags
from boxoffice.crm.contacts import (
    MAX_NOTE_LENGTH,
    MAX_QUERY_LENGTH,
    ContactSort,
    details_from_form,
    search_contacts,
)
from boxoffice.crm.routes import actor
from boxoffice.sales.catalog import house_format
from boxoffice.web.downloads import pdf_download
from boxoffice.web.errors import error_page
from boxoffice.web.forms import LARGEST_ID, parse_id

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
CONTACTS = {"permission": Perm.CRM_CONTACTS}
EXPORT = {"permission": Perm.CRM_EXPORT}
REMOVE = {"permission": Perm.CRM_REMOVE}
TAGS = {"permission": Perm.CRM_TAGS}
# Tagging everyone a search finds acts on, and answers with, contacts: it needs the Contacts menu too.
TAG_FOUND_CONTACTS = {**TAGS, "also_requires": (Perm.CRM_CONTACTS,)}
DUPLICATES = {"permission": Perm.CRM_DUPLICATES}
PAGE_SIZE = 25
LARGEST_PAGE = 100_000

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
TAG_NOTICES = {
    "created": "The tag has been created.",
    "renamed": "The tag has been renamed.",
    "deleted": "The tag has been deleted.",
}


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """The contacts list's search, tag filter, sort and page as given in the address, made safe."""

    text: str
    tag_id: int | None
    sort: ContactSort
    page: int

    @classmethod
    def parse(cls, q: str, tag: str, sort: str, page: str) -> ContactQuery:
        return cls(
            text=" ".join(q.split())[:MAX_QUERY_LENGTH],
            tag_id=parse_id(tag),
            sort=ContactSort(sort) if sort in ContactSort.__members__.values() else ContactSort.NAME,
            page=min(int(page), LARGEST_PAGE) if page.isascii() and page.isdigit() and int(page) > 0 else 1,
        )

    def params(self, **changes: object) -> dict[str, str]:
        values = {
            "q": self.text,
            "tag": self.tag_id or "",
            "sort": self.sort.value,
            "page": self.page,
            **changes,
        }
        return {key: str(value) for key, value in values.items() if value not in ("", None)}


async def contacts_page(request: Request, query: ContactQuery, *, notice: str = "") -> Template:
    found = await search_contacts(
        query.text, tag_id=query.tag_id, sort=query.sort, page=query.page, page_size=PAGE_SIZE
    )
    context = {
        "found": found,
        "query": query,
        "tags": await tags.list_tags(),
        "sorts": [(ContactSort.NAME, "Name"), (ContactSort.EMAIL, "E-mail"), (ContactSort.NEWEST, "Newest")],
        "notice": notice,
        "may_export": actor(request).may(Perm.CRM_EXPORT),
        "may_tag_all": actor(request).may(Perm.CRM_TAGS),
        "long_query": len(request.query_params.get("q", "")) > MAX_QUERY_LENGTH,
    }
    fragment = request.headers.get("hx-target") == "contact-results"
    return Template("crm/_contact_results.html" if fragment else "crm/contacts.html", context=context)


@get("/crm/contacts", name="crm.contacts", opt=CONTACTS)
async def contacts(
    request: Request,
    q: FromQuery[str] = "",
    tag: FromQuery[str] = "",
    sort: FromQuery[str] = "",
    page: FromQuery[str] = "",
    done: FromQuery[str] = "",
) -> Template:
    return await contacts_page(
        request, ContactQuery.parse(q, tag, sort, page), notice=LIST_NOTICES.get(done, "")
    )


async def record_page(
    request: Request,
    contact_id: int,
    *,
    notice: str = "",
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    try:
        record = await records.open_record(contact_id, actor_id=actor(request).id, ip=client_ip(request))
    except records.ContactGone:
        return await gone_page(contact_id)
    return Template(
        "crm/contact.html",
        context={
            "contact": record,
            "fmt": await house_format(),
            "may_export": actor(request).may(Perm.CRM_EXPORT),
            "may_remove": actor(request).may(Perm.CRM_REMOVE),
            "may_open_orders": actor(request).may(Perm.BOX_OFFICE_ORDERS),
            "channels": records.CHANNEL_LABELS,
            "means": records.CONSENT_MEANS,
            "all_tags": await tags.list_tags(),
            "notice": notice,
            "problems": problems or {},
            "values": values or {},
            "max_note_length": MAX_NOTE_LENGTH,
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
async def contact(request: Request, contact_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    return await record_page(request, contact_id, notice=RECORD_NOTICES.get(done, ""))


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
async def tag_found_contacts(request: Request, data: Annotated[BulkTagForm, FORM]) -> Template | Redirect:
    query = ContactQuery.parse(data.q, data.filter_tag, "", "")
    try:
        await tags.tag_matching(
            parse_id(data.tag) or 0,
            query.text,
            query.tag_id,
            actor_id=actor(request).id,
            ip=client_ip(request),
            now=now(),
        )
    except tags.TagRefused as refusal:
        page = await contacts_page(request, query, notice=str(refusal))
        page.status_code = 400
        return page
    return Redirect(
        path=request.app.route_reverse("crm.contacts"),
        query_params={**query.params(page=""), "done": "tagged"},
        status_code=303,
    )


@get("/crm/contacts/new", name="crm.contacts.new", opt=CONTACTS)
async def new_contact() -> Template:
    return edit_page(None, dict.fromkeys(records.DETAIL_FIELDS, ""), {})


@post("/crm/contacts/new", name="crm.contacts.create", opt=CONTACTS)
async def create_contact(request: Request, data: Annotated[DetailsForm, FORM]) -> Template | Redirect:
    submitted = {name: getattr(data, name) for name in records.DETAIL_FIELDS}
    try:
        contact_id = await records.create_contact(
            details_from_form(submitted), actor_id=actor(request).id, ip=client_ip(request), now=now()
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
    request: Request, contact_id: FromPath[int], data: Annotated[DetailsForm, FORM]
) -> Template | Redirect:
    submitted = {name: getattr(data, name) for name in records.DETAIL_FIELDS}
    try:
        changed = await records.update_details(
            contact_id,
            details_from_form(submitted),
            actor_id=actor(request).id,
            ip=client_ip(request),
            now=now(),
        )
    except records.ChangeRefused as refusal:
        return edit_page(contact_id, submitted, refusal.problems, status_code=400)
    return back_to_record(request, contact_id, "updated" if changed else "unchanged")


@dataclass
class NoteForm:
    text: str = ""


@post("/crm/contacts/{contact_id:int}/notes", name="crm.contact.note", opt=CONTACTS)
async def note(
    request: Request, contact_id: FromPath[int], data: Annotated[NoteForm, FORM]
) -> Template | Redirect:
    try:
        await records.note_on_contact(contact_id, data.text, author_id=actor(request).id, now=now())
    except ValueError:
        return await record_page(
            request, contact_id, problems={"text": "Write the note before adding it."}, status_code=400
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
    request: Request, contact_id: FromPath[int], data: Annotated[ConsentForm, FORM]
) -> Template | Redirect:
    try:
        await records.record_staff_consent(
            contact_id,
            channel=data.channel,
            decision=data.decision,
            means=data.means,
            note=data.note,
            actor_id=actor(request).id,
            ip=client_ip(request),
            now=now(),
        )
    except records.ChangeRefused as refusal:
        values = {
            "channel": data.channel,
            "decision": data.decision,
            "means": data.means,
            "consent_note": data.note,
        }
        return await record_page(
            request, contact_id, problems=refusal.problems, values=values, status_code=400
        )
    return back_to_record(request, contact_id, "consent")


@dataclass
class RestrictionForm:
    restricted: str = ""


@post("/crm/contacts/{contact_id:int}/restriction", name="crm.contact.restriction", opt=CONTACTS)
async def restriction(
    request: Request, contact_id: FromPath[int], data: Annotated[RestrictionForm, FORM]
) -> Redirect:
    restricted = data.restricted == "yes"
    await records.set_restricted(
        contact_id, restricted, actor_id=actor(request).id, ip=client_ip(request), now=now()
    )
    return back_to_record(request, contact_id, "restricted" if restricted else "unrestricted")


@dataclass
class TagChoiceForm:
    tag: str = ""


@post("/crm/contacts/{contact_id:int}/tags", name="crm.contact.tag", opt=CONTACTS)
async def tag_contact(
    request: Request, contact_id: FromPath[int], data: Annotated[TagChoiceForm, FORM]
) -> Template | Redirect:
    try:
        await tags.tag_contact(
            contact_id, parse_id(data.tag) or 0, actor_id=actor(request).id, ip=client_ip(request), now=now()
        )
    except tags.TagRefused as refusal:
        return await record_page(request, contact_id, problems={"tag": str(refusal)}, status_code=400)
    return back_to_record(request, contact_id, "tagged")


@post("/crm/contacts/{contact_id:int}/tags/{tag_id:int}/remove", name="crm.contact.untag", opt=CONTACTS)
async def untag_contact(request: Request, contact_id: FromPath[int], tag_id: FromPath[int]) -> Redirect:
    await tags.untag_contact(contact_id, tag_id, actor_id=actor(request).id, ip=client_ip(request))
    return back_to_record(request, contact_id, "untagged")


# Remove (erasure)


async def remove_page(contact_id: int, *, error: str = "", status_code: int = 200) -> Template:
    try:
        row = await records.live_contact(contact_id)
    except records.ContactGone:
        return await gone_page(contact_id)
    return Template(
        "crm/contact_remove.html",
        context={"contact": records.record_from_row(row), "error": error},
        status_code=status_code,
    )


@get("/crm/contacts/{contact_id:int}/remove", name="crm.contact.remove", opt=REMOVE)
async def confirm_removal(contact_id: FromPath[int]) -> Template:
    return await remove_page(contact_id)


@dataclass
class RemovalForm:
    confirm: str = ""


@post("/crm/contacts/{contact_id:int}/remove", name="crm.contact.erase", opt=REMOVE)
async def remove(
    request: Request, contact_id: FromPath[int], data: Annotated[RemovalForm, FORM]
) -> Template | Redirect:
    if data.confirm != "yes":
        return await remove_page(contact_id, error="Tick the box to confirm the removal.", status_code=400)
    try:
        await erasure.erase_contact(contact_id, actor_id=actor(request).id, ip=client_ip(request), now=now())
    except erasure.AlreadyRemoved:
        return await gone_page(contact_id)
    except LookupError as missing:
        raise NotFoundException() from missing
    return Redirect(
        path=request.app.route_reverse("crm.contacts"), query_params={"done": "removed"}, status_code=303
    )


@get("/crm/removals", name="crm.removals", opt=REMOVE)
async def removals() -> Template:
    entries, _ = await audit.search(audit.AuditFilter(action="contact.removed"))
    return Template("crm/removals.html", context={"entries": entries})


# Export (access)


async def export_of(request: Request, contact_id: int, file_format: str) -> dict:
    export = await access_export.contact_export(contact_id, now=now())
    await access_export.record_export(
        contact_id, file_format, actor_id=actor(request).id, ip=client_ip(request)
    )
    return export


@get("/crm/contacts/{contact_id:int}/export.json", name="crm.contact.export_json", opt=EXPORT)
async def export_json(request: Request, contact_id: FromPath[int]) -> Response:
    export = await export_of(request, contact_id, "json")
    return Response(
        content=access_export.export_json(export),
        media_type="application/json",
        headers={
            "Content-Disposition": f"attachment; filename=contact-{contact_id}.json",
            "Cache-Control": "no-store",
        },
    )


@get("/crm/contacts/{contact_id:int}/export.pdf", name="crm.contact.export_pdf", opt=EXPORT)
async def export_pdf(request: Request, contact_id: FromPath[int]) -> Response:
    export = await export_of(request, contact_id, "pdf")
    return pdf_download(await access_export.export_pdf(export), f"contact-{contact_id}.pdf")


# Bulk export


@get("/crm/export", name="crm.export", opt=EXPORT)
async def export_page(q: FromQuery[str] = "", tag: FromQuery[str] = "") -> Template:
    query = ContactQuery.parse(q, tag, "", "")
    return Template(
        "crm/export.html",
        context={
            "query": query,
            "tags": await tags.list_tags(),
            "count": await bulk_export.exported_count(query.text, query.tag_id),
            "error": "",
        },
    )


@get("/crm/export/contacts", name="crm.export.download", opt=EXPORT)
async def export_contacts(
    request: Request, file_format: FromQuery[str] = "csv", q: FromQuery[str] = "", tag: FromQuery[str] = ""
) -> Stream | Template:
    query = ContactQuery.parse(q, tag, "", "")
    if file_format not in bulk_export.FORMATS:
        return Template(
            "crm/export.html",
            context={
                "query": query,
                "tags": await tags.list_tags(),
                "count": await bulk_export.exported_count(query.text, query.tag_id),
                "error": "Choose CSV or XLSX.",
            },
            status_code=400,
        )
    chunks = await bulk_export.start_export(
        file_format, query.text, query.tag_id, actor_id=actor(request).id, ip=client_ip(request)
    )
    stamp = now().strftime("%Y-%m-%d")
    return Stream(
        chunks,
        media_type=bulk_export.FORMATS[file_format],
        headers={
            "Content-Disposition": f"attachment; filename=contacts-{stamp}.{file_format}",
            "Cache-Control": "no-store",
        },
    )


# Tags


async def tags_page(*, notice: str = "", error: str = "", status_code: int = 200) -> Template:
    return Template(
        "crm/tags.html",
        context={
            "tags": await tags.list_tags(),
            "notice": notice,
            "error": error,
            "max_length": tags.MAX_TAG_LENGTH,
        },
        status_code=status_code,
    )


@get("/crm/tags", name="crm.tags", opt=TAGS)
async def tag_list(done: FromQuery[str] = "") -> Template:
    return await tags_page(notice=TAG_NOTICES.get(done, ""))


@dataclass
class TagForm:
    name: str = ""


def back_to_tags(request: Request, done: str) -> Redirect:
    return Redirect(path=request.app.route_reverse("crm.tags"), query_params={"done": done}, status_code=303)


@post("/crm/tags", name="crm.tags.create", opt=TAGS)
async def create_tag(request: Request, data: Annotated[TagForm, FORM]) -> Template | Redirect:
    try:
        await tags.create_tag(data.name, actor_id=actor(request).id, ip=client_ip(request))
    except tags.TagRefused as refusal:
        return await tags_page(error=str(refusal), status_code=400)
    return back_to_tags(request, "created")


@post("/crm/tags/{tag_id:int}/rename", name="crm.tags.rename", opt=TAGS)
async def rename_tag(
    request: Request, tag_id: FromPath[int], data: Annotated[TagForm, FORM]
) -> Template | Redirect:
    try:
        await tags.rename_tag(tag_id, data.name, actor_id=actor(request).id, ip=client_ip(request))
    except tags.TagRefused as refusal:
        return await tags_page(error=str(refusal), status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return back_to_tags(request, "renamed")


@get("/crm/tags/{tag_id:int}/delete", name="crm.tags.confirm_delete", opt=TAGS)
async def confirm_tag_deletion(tag_id: FromPath[int]) -> Template:
    """Deleting a tag takes it off every contact, so the count is shown first."""
    tag = next((tag for tag in await tags.list_tags() if tag.id == tag_id), None)
    if tag is None:
        raise NotFoundException()
    return Template("crm/tag_delete.html", context={"tag": tag})


@post("/crm/tags/{tag_id:int}/delete", name="crm.tags.delete", opt=TAGS)
async def delete_tag(request: Request, tag_id: FromPath[int]) -> Redirect:
    try:
        await tags.delete_tag(tag_id, actor_id=actor(request).id, ip=client_ip(request))
    except LookupError as missing:
        raise NotFoundException() from missing
    return back_to_tags(request, "deleted")


# Duplicates


async def duplicates_page(*, merged: bool = False, error: str = "", status_code: int = 200) -> Template:
    return Template(
        "crm/duplicates.html",
        context={"groups": await duplicates.likely_duplicates(), "merged": merged, "error": error},
        status_code=status_code,
    )


@get("/crm/duplicates", name="crm.duplicates", opt=DUPLICATES)
async def duplicate_list(done: FromQuery[str] = "") -> Template:
    return await duplicates_page(merged=done == "merged")


@dataclass
class MergeForm:
    keep: str = ""
    merge: str = ""


def merge_pair(keep: str, merge: str) -> tuple[int, int]:
    keep_id, merge_id = parse_id(keep), parse_id(merge)
    if keep_id is None or merge_id is None:
        raise duplicates.MergeRefused("Choose the contact to keep and the one to merge into it.")
    return keep_id, merge_id


@get("/crm/duplicates/merge", name="crm.duplicates.review", opt=DUPLICATES)
async def review_merge(keep: FromQuery[str] = "", merge: FromQuery[str] = "") -> Template:
    """What a merge will do, shown before it is done: it cannot be undone. Without two contacts chosen,
    the list to choose from."""
    if not keep and not merge:
        return await duplicates_page()
    try:
        preview = await duplicates.merge_preview(*merge_pair(keep, merge))
    except duplicates.MergeRefused as refusal:
        return await duplicates_page(error=str(refusal), status_code=400)
    return Template("crm/merge.html", context={"preview": preview})


@post("/crm/duplicates/merge", name="crm.duplicates.merge", opt=DUPLICATES)
async def merge(request: Request, data: Annotated[MergeForm, FORM]) -> Template | Redirect:
    try:
        keep_id, merge_id = merge_pair(data.keep, data.merge)
        await duplicates.merge_contacts(
            keep_id, merge_id, actor_id=actor(request).id, ip=client_ip(request), now=now()
        )
    except duplicates.MergeRefused as refusal:
        return await duplicates_page(error=str(refusal), status_code=400)
    return Redirect(
        path=request.app.route_reverse("crm.duplicates"), query_params={"done": "merged"}, status_code=303
    )


def contact_not_found(request: Request, exc: records.ContactGone) -> Template:
    """A missing or removed contact, wherever a route asks for one: the page is not found."""
    return error_page(404)


CONTACT_HANDLERS = [
    contacts,
    tag_found_contacts,
    new_contact,
    create_contact,
    contact,
    edit_contact,
    update_contact,
    note,
    consent,
    restriction,
    tag_contact,
    untag_contact,
    confirm_removal,
    remove,
    removals,
    export_json,
    export_pdf,
    export_page,
    export_contacts,
    tag_list,
    create_tag,
    rename_tag,
    confirm_tag_deletion,
    delete_tag,
    duplicate_list,
    review_merge,
    merge,
]

CONTACT_ROUTES = [
    Router(
        path="/",
        route_handlers=CONTACT_HANDLERS,
        exception_handlers={records.ContactGone: contact_not_found},
    )
]

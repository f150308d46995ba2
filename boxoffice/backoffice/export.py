"""CRM → Export: one contact's data for them (right of access), and the contacts a search finds as a file."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from boxoffice.auth.permissions import Perm
from boxoffice.backoffice.contacts import ContactQuery
from boxoffice.crm import bulk_export, tags
from boxoffice.privacy import access_export
from boxoffice.web.dependencies import Acting
from boxoffice.web.downloads import json_download, pdf_download

EXPORT = {"permission": Perm.CRM_EXPORT}


def now() -> datetime:
    return datetime.now(UTC)


async def export_of(acting: Acting, contact_id: int, file_format: str) -> dict:
    export = await access_export.contact_export(contact_id, now=acting.now)
    await access_export.record_export(contact_id, file_format, actor_id=acting.staff_id, ip=acting.ip)
    return export


@get("/crm/contacts/{contact_id:int}/export.json", name="crm.contact.export_json", opt=EXPORT)
async def export_json(acting: Acting, contact_id: FromPath[int]) -> Response:
    export = await export_of(acting, contact_id, "json")
    return json_download(access_export.export_json(export), f"contact-{contact_id}.json")


@get("/crm/contacts/{contact_id:int}/export.pdf", name="crm.contact.export_pdf", opt=EXPORT)
async def export_pdf(acting: Acting, contact_id: FromPath[int]) -> Response:
    export = await export_of(acting, contact_id, "pdf")
    return pdf_download(await access_export.export_pdf(export), f"contact-{contact_id}.pdf")


async def export_form(query: ContactQuery, *, error: str = "", status_code: int = 200) -> Template:
    return Template(
        "crm/export.html",
        context={
            "query": query,
            "tags": await tags.list_tags(),
            "count": await bulk_export.exported_count(query.text, query.tag_id),
            "error": error,
        },
        status_code=status_code,
    )


@get("/crm/export", name="crm.export", opt=EXPORT)
async def export_page(q: FromQuery[str] = "", tag: FromQuery[str] = "") -> Template:
    return await export_form(ContactQuery.parse(q, tag, "", ""))


@get("/crm/export/contacts", name="crm.export.download", opt=EXPORT)
async def export_contacts(
    acting: Acting, file_format: FromQuery[str] = "csv", q: FromQuery[str] = "", tag: FromQuery[str] = ""
) -> Stream | Template:
    query = ContactQuery.parse(q, tag, "", "")
    if file_format not in bulk_export.FORMATS:
        return await export_form(query, error="Choose CSV or XLSX.", status_code=400)
    chunks = await bulk_export.start_export(
        file_format, query.text, query.tag_id, actor_id=acting.staff_id, ip=acting.ip
    )
    stamp = acting.now.strftime("%Y-%m-%d")
    return Stream(
        chunks,
        media_type=bulk_export.FORMATS[file_format],
        headers={
            "Content-Disposition": f"attachment; filename=contacts-{stamp}.{file_format}",
            "Cache-Control": "no-store",
        },
    )


ROUTES = [export_json, export_pdf, export_page, export_contacts]

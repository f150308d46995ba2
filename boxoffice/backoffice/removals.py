"""CRM → Remove: erasing a contact on request (right to erasure), and the list of removals made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from boxoffice.auth import audit
from boxoffice.auth.permissions import Perm
from boxoffice.backoffice.contacts import gone_page
from boxoffice.crm import records
from boxoffice.privacy import erasure
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

REMOVE = {"permission": Perm.CRM_REMOVE}


def now() -> datetime:
    return datetime.now(UTC)


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
    request: Request, acting: Acting, contact_id: FromPath[int], data: Annotated[RemovalForm, FORM]
) -> Template | Redirect:
    if data.confirm != "yes":
        return await remove_page(contact_id, error="Tick the box to confirm the removal.", status_code=400)
    try:
        await erasure.erase_contact(contact_id, actor_id=acting.staff_id, ip=acting.ip, now=acting.now)
    except erasure.AlreadyRemoved:
        return await gone_page(contact_id)
    except LookupError as missing:
        raise NotFoundException() from missing
    return Redirect(
        path=request.app.route_reverse("crm.contacts"), query_params={"done": "removed"}, status_code=303
    )


@get("/crm/removals", name="crm.removals", opt=REMOVE)
async def removals() -> Template:
    entries = (await audit.search(audit.AuditFilter(action="contact.removed"))).items
    return Template("crm/removals.html", context={"entries": entries})


ROUTES = [confirm_removal, remove, removals]

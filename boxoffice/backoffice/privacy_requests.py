"""CRM → Privacy requests: the register of requests (`privacy.requests`), logging one received by letter,
phone, visit or e-mail, and acting on each from its own page."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.crm.contacts import details_from_form
from boxoffice.crm.records import ContactGone, live_contact
from boxoffice.db import parse_id
from boxoffice.errors import Refused
from boxoffice.paging import PageRequest
from boxoffice.privacy import access_export, requests
from boxoffice.privacy.tables import RequestChannel
from boxoffice.venue.settings import SettingsRefused
from boxoffice.web.dependencies import Acting
from boxoffice.web.downloads import json_download, pdf_download
from boxoffice.web.forms import parse_day

REQUESTS = {"permission": Perm.CRM_PRIVACY_REQUESTS}
NOTICES = {
    "logged": "The request is in the register.",
    "extended": "The deadline is extended.",
    "closed": "The request is closed.",
    "sent": "What was sent is recorded.",
    "corrected": "The details are corrected.",
    "restricted": "Processing is restricted.",
    "removed": "The contact is removed.",
    "scheduled": "The removal is scheduled for the day after the last performance.",
    "withdrawn": "Marketing consent is withdrawn on every channel.",
    "settings": "The setting is saved.",
}


def staff_channels() -> list[tuple[str, str]]:
    return [
        (channel.value, label)
        for channel, label in requests.CHANNEL_LABELS.items()
        if channel != RequestChannel.CENTRE
    ]


@get("/crm/privacy-requests", name="crm.privacy_requests", opt=REQUESTS)
async def register(
    acting: Acting, show: FromQuery[str] = "", done: FromQuery[str] = "", page: FromQuery[str] = ""
) -> Template:
    everything = show == "all"
    shown = PageRequest.parse(page, size=requests.REGISTER_PAGE_SIZE)
    return Template(
        "crm/privacy_requests.html",
        context={
            "requests": await requests.list_requests(open_only=not everything, page=shown),
            "everything": everything,
            "today": acting.now.date(),
            "labels": requests,
            "auto_erasure_days": await requests.auto_erasure_days(),
            "notice": NOTICES.get(done, ""),
            "errors": {},
        },
    )


async def named_contact(number: str) -> str:
    """Who a contact number names, shown beside it so staff log the request against the right person."""
    contact_id = parse_id(number) if number.strip() else None
    if contact_id is None:
        return ""
    try:
        row = await live_contact(contact_id)
    except ContactGone:
        return ""
    return " ".join(filter(None, (row["first_name"], row["last_name"]))) or row["email"]


async def new_page(
    values: dict[str, str], errors: dict[str, str] | None = None, status: int = 200
) -> Template:
    return Template(
        "crm/privacy_request_new.html",
        context={
            "contact_named": await named_contact(values["contact"]),
            "values": values,
            "errors": errors or {},
            "kinds": list(requests.KIND_LABELS.items()),
            "channels": staff_channels(),
        },
        status_code=status,
    )


@get("/crm/privacy-requests/new", name="crm.privacy_requests.new", opt=REQUESTS)
async def new_request(acting: Acting, contact: FromQuery[str] = "") -> Template:
    return await new_page({"contact": contact[:12], "received_on": acting.now.date().isoformat()})


NEW_FIELDS = ("kind", "channel", "contact", "requester", "identity_check", "received_on")


@post("/crm/privacy-requests/new", name="crm.privacy_requests.create", opt=REQUESTS)
async def log_request(request: Request, acting: Acting) -> Template | Redirect:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:4000] for name in NEW_FIELDS}
    errors = {}
    contact_id = parse_id(values["contact"]) if values["contact"].strip() else None
    if values["contact"].strip() and contact_id is None:
        errors["contact"] = "Enter the contact's number as shown on their record, or leave it empty."
    try:
        received_on = parse_day(values["received_on"])
    except ValueError:
        errors["received_on"] = "Enter the day it was received, such as 2026-11-21."
        received_on = acting.now.date()
    new = requests.NewRequest(
        values["kind"],
        values["channel"],
        contact_id,
        values["requester"],
        values["identity_check"],
        received_on,
    )
    errors = {**requests.request_problems(new, acting.now), **errors}
    try:
        if errors:
            raise requests.RequestRefused(errors)
        request_id = await requests.log_request(new, actor_id=acting.staff_id, ip=acting.ip, now=acting.now)
    except requests.RequestRefused as refusal:
        return await new_page(values, refusal.problems, status=400)
    return to_request(request, request_id, "logged")


def to_request(request: Request, request_id: int, done: str) -> Redirect:
    return Redirect(
        path=request.app.route_reverse("crm.privacy_request", request_id=request_id),
        query_params={"done": done},
        status_code=303,
    )


async def request_page(
    acting: Acting,
    request_id: int,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    found = await requests.get_request(request_id)
    if found is None:
        raise NotFoundException()
    last_performance = None
    if found.contact_id is not None and not found.contact_removed and found.open:
        last_performance = await requests.last_performance_start(found.contact_id, acting.now)
    contact = None
    if found.contact_id is not None and not found.contact_removed:
        contact = await live_contact(found.contact_id)
    return Template(
        "crm/privacy_request.html",
        context={
            "request_": found,
            "contact": contact,
            "today": acting.now.date(),
            "labels": requests,
            "last_performance": last_performance,
            "notice": notice,
            "errors": errors or {},
        },
        status_code=status,
    )


@get("/crm/privacy-requests/{request_id:int}", name="crm.privacy_request", opt=REQUESTS)
async def show_request(acting: Acting, request_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    return await request_page(acting, request_id, notice=NOTICES.get(done, ""))


async def act(request: Request, acting: Acting, request_id: int, done: str, action) -> Template | Redirect:
    """Run one action on the request: back to its page, or the page again with what was refused."""
    try:
        await action()
    except LookupError as missing:
        raise NotFoundException() from missing
    except Refused as refusal:
        return await request_page(
            acting, request_id, errors=refusal.problems or {"": str(refusal)}, status=400
        )
    return to_request(request, request_id, done)


async def form_of(request: Request) -> dict[str, str]:
    return {name: str(value)[:4000] for name, value in (await request.form()).items()}


@post("/crm/privacy-requests/{request_id:int}/extend", name="crm.privacy_request.extend", opt=REQUESTS)
async def extend(request: Request, acting: Acting, request_id: FromPath[int]) -> Template | Redirect:
    form = await form_of(request)
    return await act(
        request,
        acting,
        request_id,
        "extended",
        lambda: requests.extend_request(
            request_id,
            form.get("months", ""),
            form.get("reason", ""),
            actor_id=acting.staff_id,
            ip=acting.ip,
            now=acting.now,
        ),
    )


@post("/crm/privacy-requests/{request_id:int}/close", name="crm.privacy_request.close", opt=REQUESTS)
async def close(request: Request, acting: Acting, request_id: FromPath[int]) -> Template | Redirect:
    form = await form_of(request)
    return await act(
        request,
        acting,
        request_id,
        "closed",
        lambda: requests.close_request(
            request_id,
            form.get("outcome", ""),
            form.get("close_detail", ""),
            actor_id=acting.staff_id,
            ip=acting.ip,
            now=acting.now,
        ),
    )


@post("/crm/privacy-requests/{request_id:int}/sent", name="crm.privacy_request.sent", opt=REQUESTS)
async def sent(request: Request, acting: Acting, request_id: FromPath[int]) -> Template | Redirect:
    form = await form_of(request)
    return await act(
        request,
        acting,
        request_id,
        "sent",
        lambda: requests.record_reply(
            request_id, form.get("detail", ""), actor_id=acting.staff_id, now=acting.now
        ),
    )


@post("/crm/privacy-requests/{request_id:int}/correct", name="crm.privacy_request.correct", opt=REQUESTS)
async def correct(request: Request, acting: Acting, request_id: FromPath[int]) -> Template | Redirect:
    details = details_from_form(await form_of(request))
    return await act(
        request,
        acting,
        request_id,
        "corrected",
        lambda: requests.correct_details(
            request_id, details, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        ),
    )


@post("/crm/privacy-requests/{request_id:int}/restrict", name="crm.privacy_request.restrict", opt=REQUESTS)
async def restrict(request: Request, acting: Acting, request_id: FromPath[int]) -> Template | Redirect:
    return await act(
        request,
        acting,
        request_id,
        "restricted",
        lambda: requests.restrict(request_id, actor_id=acting.staff_id, ip=acting.ip, now=acting.now),
    )


@post("/crm/privacy-requests/{request_id:int}/objection", name="crm.privacy_request.objection", opt=REQUESTS)
async def objection(request: Request, acting: Acting, request_id: FromPath[int]) -> Template | Redirect:
    return await act(
        request,
        acting,
        request_id,
        "withdrawn",
        lambda: requests.withdraw_marketing(
            request_id, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        ),
    )


@post("/crm/privacy-requests/{request_id:int}/remove", name="crm.privacy_request.remove", opt=REQUESTS)
async def remove(request: Request, acting: Acting, request_id: FromPath[int]) -> Template | Redirect:
    form = await form_of(request)
    if form.get("confirm") != "yes":
        return await request_page(
            acting, request_id, errors={"confirm": "Tick the box to confirm the removal."}, status=400
        )
    if form.get("when") == "after":
        return await act(
            request,
            acting,
            request_id,
            "scheduled",
            lambda: requests.remove_after_last_performance(
                request_id, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
            ),
        )
    return await act(
        request,
        acting,
        request_id,
        "removed",
        lambda: requests.remove(request_id, actor_id=acting.staff_id, ip=acting.ip, now=acting.now),
    )


async def export_for(acting: Acting, request_id: int, file_format: str) -> tuple[int, dict]:
    try:
        contact_id = await requests.record_export(
            request_id, file_format, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        )
    except (LookupError, Refused) as refused:
        raise NotFoundException() from refused
    return contact_id, await access_export.contact_export(contact_id, now=acting.now)


@get("/crm/privacy-requests/{request_id:int}/export.json", name="crm.privacy_request.json", opt=REQUESTS)
async def export_json(acting: Acting, request_id: FromPath[int]) -> Response:
    contact_id, export = await export_for(acting, request_id, "json")
    return json_download(access_export.export_json(export), f"contact-{contact_id}.json")


@get("/crm/privacy-requests/{request_id:int}/export.pdf", name="crm.privacy_request.pdf", opt=REQUESTS)
async def export_pdf(acting: Acting, request_id: FromPath[int]) -> Response:
    contact_id, export = await export_for(acting, request_id, "pdf")
    return pdf_download(await access_export.export_pdf(export), f"contact-{contact_id}.pdf")


@post("/crm/privacy-requests/settings", name="crm.privacy_requests.settings", opt=REQUESTS)
async def save_settings(request: Request, acting: Acting) -> Template | Redirect:
    form = await form_of(request)
    try:
        await requests.save_auto_erasure_days(
            form.get("auto_erasure_days", ""), actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        )
    except SettingsRefused as refusal:
        return Template(
            "crm/privacy_requests.html",
            context={
                "requests": await requests.list_requests(open_only=True),
                "everything": False,
                "today": acting.now.date(),
                "labels": requests,
                "auto_erasure_days": form.get("auto_erasure_days", "")[:10],
                "notice": "",
                "errors": refusal.problems,
            },
            status_code=400,
        )
    return Redirect(
        path=request.app.route_reverse("crm.privacy_requests"),
        query_params={"done": "settings"},
        status_code=303,
    )


ROUTES = [
    register,
    new_request,
    log_request,
    show_request,
    extend,
    close,
    sent,
    correct,
    restrict,
    objection,
    remove,
    export_json,
    export_pdf,
    save_settings,
]

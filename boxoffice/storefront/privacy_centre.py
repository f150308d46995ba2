"""The privacy centre, "Your data and preferences": the public pages of `privacy.centre`.

The browser's only key is a session cookie set when a sign-in link is used (HttpOnly, SameSite=Lax, and
Secure on HTTPS), limited to these pages' path. Every page here is personal: none is ever cached."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request, get, post
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from boxoffice.crm.records import CHANNEL_LABELS, ChangeRefused, ContactGone
from boxoffice.errors import Refused
from boxoffice.mail.templates import PRIVACY_CENTRE_PATH
from boxoffice.marketing.tables import Channel
from boxoffice.privacy import access_export, centre
from boxoffice.web.dependencies import AppSettings, ClientAddress
from boxoffice.web.downloads import json_download, pdf_download

NO_STORE = CacheControlHeader(no_store=True)
SESSION_COOKIE = "boxoffice_privacy"
NOTICES = {
    "sent": centre.LINK_ANSWER,
    "ended": "You are signed out.",
    "expired": "Your session has ended. Ask for a new link to sign in again.",
}
DONE = {
    "consent": "Your marketing choices are saved.",
    "details": "Your details are saved.",
    "unchanged": "Nothing was changed.",
    "restricted": "We have restricted the use of your data: you are left out of marketing and exports. "
    "The box office can still handle your bookings.",
    "erasure_waits": "Your request is with the box office. You hold tickets for a performance still to "
    "come, or the box office checks each request: we will write to you within one month.",
    "erasure_scheduled": "Your request is registered. Your details will be removed after a short "
    "cooling-off period; until then you can still sign in and see them.",
}


def session_of(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def session_cookie(settings: AppSettings, value: str, *, max_age: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path=PRIVACY_CENTRE_PATH,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def start_page(
    *, notice: str = "", email: str = "", errors: dict[str, str] | None = None, status: int = 200
) -> Template:
    return Template(
        "storefront/privacy_centre.html",
        context={"notice": notice, "email": email, "errors": errors or {}},
        status_code=status,
    )


@get(PRIVACY_CENTRE_PATH, name="privacy_centre.start", cache_control=NO_STORE)
async def start(done: FromQuery[str] = "") -> Template:
    """Ask for a sign-in link."""
    return start_page(notice=NOTICES.get(done, ""))


@post(f"{PRIVACY_CENTRE_PATH}/link", name="privacy_centre.ask", cache_control=NO_STORE)
async def ask_for_link(
    request: Request, settings: AppSettings, address: ClientAddress
) -> Template | Redirect:
    """The same answer whether the address is known or not: back to the start, saying a link was sent if
    we hold details for it."""
    email = str((await request.form()).get("email", ""))[:300]
    try:
        await centre.request_link(
            email, ip=address, now=datetime.now(UTC), key=settings.secret_key, base_url=settings.base_url
        )
    except centre.LinkRefused as refusal:
        return start_page(email=email, errors=refusal.problems, status=400)
    return Redirect(
        path=request.app.route_reverse("privacy_centre.start"), query_params={"done": "sent"}, status_code=303
    )


@get(f"{PRIVACY_CENTRE_PATH}/sign-in/{{token:str}}", name="privacy_centre.link", cache_control=NO_STORE)
async def link_page(token: FromPath[str]) -> Template:
    """What the e-mailed link opens: a button, since mail scanners open links too. It says nothing of
    whose link it is, or whether it still works."""
    return Template("storefront/privacy_sign_in.html", context={"token": token})


@post(f"{PRIVACY_CENTRE_PATH}/sign-in/{{token:str}}", name="privacy_centre.sign_in", cache_control=NO_STORE)
async def sign_in(request: Request, settings: AppSettings, token: FromPath[str]) -> Template | Redirect:
    try:
        session = await centre.sign_in(token, previous_session=session_of(request), now=datetime.now(UTC))
    except centre.LinkUnusable as refusal:
        page = start_page(errors={"email": str(refusal)}, status=400)
        page.cookies.append(session_cookie(settings, "", max_age=0))
        return page
    return Redirect(
        path=request.app.route_reverse("privacy_centre.you"),
        status_code=303,
        cookies=[session_cookie(settings, session, max_age=centre.SESSION_MINUTES * 60)],
    )


async def signed_in(request: Request) -> int | None:
    return await centre.signed_in_contact(session_of(request), datetime.now(UTC))


def to_start(request: Request, done: str = "expired") -> Redirect:
    return Redirect(
        path=request.app.route_reverse("privacy_centre.start"), query_params={"done": done}, status_code=303
    )


async def you_page(
    contact_id: int,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    form: dict | None = None,
    status: int = 200,
) -> Template:
    export = await access_export.contact_export(contact_id, now=datetime.now(UTC))
    return Template(
        "storefront/privacy_you.html",
        context={
            "export": export,
            "contact": export["contact"],
            "consent": {
                channel: export["marketing"][label] == "Opt in" for channel, label in CHANNEL_LABELS.items()
            },
            "channels": [
                (channel.value, CHANNEL_LABELS[channel], centre.CONSENT_WORDING[channel])
                for channel in Channel
            ],
            "notice": notice,
            "errors": errors or {},
            "form": form or export["contact"],
            "erasure_asked": await centre.open_erasure_request(contact_id),
        },
        status_code=status,
    )


@get(f"{PRIVACY_CENTRE_PATH}/you", name="privacy_centre.you", cache_control=NO_STORE)
async def you(request: Request, done: FromQuery[str] = "") -> Template | Redirect:
    contact_id = await signed_in(request)
    if contact_id is None:
        return to_start(request)
    try:
        return await you_page(contact_id, notice=DONE.get(done, ""))
    except ContactGone:
        return to_start(request)


async def own_export(request: Request, address: str, file_format: str) -> dict | None:
    contact_id = await signed_in(request)
    if contact_id is None:
        return None
    export = await access_export.contact_export(contact_id, now=datetime.now(UTC))
    await centre.record_export(contact_id, file_format, ip=address)
    return export


@get(f"{PRIVACY_CENTRE_PATH}/you/data.json", name="privacy_centre.json", cache_control=NO_STORE)
async def download_json(request: Request, address: ClientAddress) -> Response | Redirect:
    export = await own_export(request, address, "json")
    if export is None:
        return to_start(request)
    return json_download(access_export.export_json(export), "your-data.json")


@get(f"{PRIVACY_CENTRE_PATH}/you/data.pdf", name="privacy_centre.pdf", cache_control=NO_STORE)
async def download_pdf(request: Request, address: ClientAddress) -> Response | Redirect:
    export = await own_export(request, address, "pdf")
    if export is None:
        return to_start(request)
    return pdf_download(await access_export.export_pdf(export), "your-data.pdf")


def back_to_you(request: Request, done: str) -> Redirect:
    return Redirect(
        path=request.app.route_reverse("privacy_centre.you"), query_params={"done": done}, status_code=303
    )


@post(f"{PRIVACY_CENTRE_PATH}/you/consent", name="privacy_centre.consent", cache_control=NO_STORE)
async def change_consent(request: Request, address: ClientAddress) -> Template | Redirect:
    contact_id = await signed_in(request)
    if contact_id is None:
        return to_start(request)
    chosen = {str(value) for value in (await request.form()).getall("channel", [])}
    changed = await centre.set_consent(contact_id, chosen, ip=address, now=datetime.now(UTC))
    return back_to_you(request, "consent" if changed else "unchanged")


@post(f"{PRIVACY_CENTRE_PATH}/you/details", name="privacy_centre.details", cache_control=NO_STORE)
async def correct_details(request: Request, address: ClientAddress) -> Template | Redirect:
    contact_id = await signed_in(request)
    if contact_id is None:
        return to_start(request)
    form = {
        name: str(value)[:300] for name, value in (await request.form()).items() if name in centre.CORRECTABLE
    }
    try:
        changed = await centre.correct_details(contact_id, form, ip=address, now=datetime.now(UTC))
    except ChangeRefused as refusal:
        return await you_page(contact_id, errors=refusal.problems, form=form, status=400)
    except ContactGone:
        return to_start(request)
    return back_to_you(request, "details" if changed else "unchanged")


@post(f"{PRIVACY_CENTRE_PATH}/you/restriction", name="privacy_centre.restrict", cache_control=NO_STORE)
async def restrict(request: Request, address: ClientAddress) -> Template | Redirect:
    contact_id = await signed_in(request)
    if contact_id is None:
        return to_start(request)
    if (await request.form()).get("confirm") != "yes":
        return await you_page(
            contact_id, errors={"restrict_confirm": "Tick the box to confirm the restriction."}, status=400
        )
    await centre.ask_for_restriction(contact_id, ip=address, now=datetime.now(UTC))
    return back_to_you(request, "restricted")


@post(f"{PRIVACY_CENTRE_PATH}/you/erasure", name="privacy_centre.erase", cache_control=NO_STORE)
async def ask_for_erasure(request: Request, address: ClientAddress) -> Template | Redirect:
    contact_id = await signed_in(request)
    if contact_id is None:
        return to_start(request)
    if (await request.form()).get("confirm") != "yes":
        return await you_page(
            contact_id, errors={"erase_confirm": "Tick the box to confirm the request."}, status=400
        )
    try:
        answer = await centre.ask_for_erasure(contact_id, ip=address, now=datetime.now(UTC))
    except ContactGone:
        return to_start(request)
    except Refused as refusal:
        return await you_page(contact_id, errors={"erase_confirm": str(refusal)}, status=400)
    return back_to_you(request, "erasure_waits" if answer.waits_for_staff else "erasure_scheduled")


@post(f"{PRIVACY_CENTRE_PATH}/sign-out", name="privacy_centre.sign_out", cache_control=NO_STORE)
async def sign_out(request: Request, settings: AppSettings) -> Redirect:
    await centre.end_session(session_of(request))
    return Redirect(
        path=request.app.route_reverse("privacy_centre.start"),
        query_params={"done": "ended"},
        status_code=303,
        cookies=[session_cookie(settings, "", max_age=0)],
    )


ROUTES = [
    start,
    ask_for_link,
    link_page,
    sign_in,
    you,
    download_json,
    download_pdf,
    change_consent,
    correct_details,
    restrict,
    ask_for_erasure,
    sign_out,
]

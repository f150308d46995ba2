"""The public unsubscribe page every campaign links to: one click (RFC 8058) or a button, and a way
back in. The token is the only key; `marketing.unsubscribe` reads it and changes the contact at once."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from boxoffice.marketing import unsubscribe
from boxoffice.web.dependencies import AppSettings, ClientAddress

NO_STORE = CacheControlHeader(no_store=True)  # the unsubscribe pages are personal


UNSUBSCRIBE_MESSAGES = {
    unsubscribe.Outcome.OPTED_OUT: "You have been unsubscribed. We will send you no more marketing e-mail.",
    unsubscribe.Outcome.ALREADY_OUT: "You are unsubscribed. We send you no marketing e-mail.",
    unsubscribe.Outcome.OPTED_IN: "Thank you: you are subscribed again and will hear about our shows.",
    unsubscribe.Outcome.ALREADY_IN: "You are subscribed to our marketing e-mail.",
    unsubscribe.Outcome.REMOVED: "We no longer hold your details, so we send you nothing and there is "
    "nothing to unsubscribe from.",
    unsubscribe.Outcome.TEST_SEND: "This link came from a test send to staff: nobody has been unsubscribed.",
}


def unsubscribe_page(outcome: unsubscribe.Outcome, token: str, wording: str = "") -> Template:
    offer_opt_in = outcome in (unsubscribe.Outcome.OPTED_OUT, unsubscribe.Outcome.ALREADY_OUT)
    offer_opt_out = outcome in (unsubscribe.Outcome.OPTED_IN, unsubscribe.Outcome.ALREADY_IN)
    return Template(
        "marketing/unsubscribe.html",
        context={
            "outcome": outcome.value,
            "message": UNSUBSCRIBE_MESSAGES[outcome],
            "token": token,
            "offer_opt_in": offer_opt_in,
            "offer_opt_out": offer_opt_out,
            "opt_in_wording": wording,
        },
    )


def refused_page(refusal: unsubscribe.TokenRefused) -> Template:
    return Template(
        "marketing/unsubscribe_refused.html", context={"expired": refusal.expired}, status_code=400
    )


@get("/unsubscribe/{token:str}", name="marketing.unsubscribe", cache_control=NO_STORE)
async def unsubscribe_link(settings: AppSettings, token: FromPath[str]) -> Template:
    """The link in every marketing e-mail: where the person stands, with one Unsubscribe button while they
    are subscribed, and nothing changed. Mail security scanners open every link in a message, so opening
    it must not opt anyone out."""
    try:
        contents = unsubscribe.read_token(settings.secret_key, token, datetime.now(UTC))
    except unsubscribe.TokenRefused as refusal:
        return refused_page(refusal)
    standing = await unsubscribe.current_standing(contents)
    return unsubscribe_page(standing, token, await unsubscribe.opt_in_wording())


@post(
    "/unsubscribe/{token:str}",
    name="marketing.unsubscribe.post",
    opt={"exclude_from_csrf": True},
    status_code=200,
    cache_control=NO_STORE,
)
async def unsubscribe_by_post(
    request: Request, address: ClientAddress, settings: AppSettings, token: FromPath[str]
) -> Response | Template | Redirect:
    """Opt out, for the two callers of this address: mail programs' RFC 8058 one-click POST (the body
    `List-Unsubscribe=One-Click`, answered in plain text) and the page's Unsubscribe button (answered by
    going back to the page, which then offers to opt back in with a CSRF token of its own). Neither
    carries a cookie or CSRF token to check: the signed token is the authority, and anyone who holds it
    can make the one-click POST anyway. A replay finds the contact opted out and writes nothing."""
    now = datetime.now(UTC)
    one_click = (await request.form()).get("List-Unsubscribe") == "One-Click"
    try:
        contents = unsubscribe.read_token(settings.secret_key, token, now)
    except unsubscribe.TokenRefused as refusal:
        if not one_click:
            return refused_page(refusal)
        return Response(
            "This unsubscribe link has expired.\n"
            if refusal.expired
            else "This unsubscribe link is not valid.\n",
            media_type="text/plain",
            status_code=400,
        )
    outcome = await unsubscribe.opt_out(contents, one_click=one_click, ip=address, now=now)
    if one_click:
        return Response(UNSUBSCRIBE_MESSAGES[outcome] + "\n", media_type="text/plain")
    return Redirect(path=request.url_for("marketing.unsubscribe", token=token), status_code=303)


@post("/unsubscribe/{token:str}/opt-in", name="marketing.unsubscribe.opt_in", cache_control=NO_STORE)
async def opt_back_in(address: ClientAddress, settings: AppSettings, token: FromPath[str]) -> Template:
    """The unsubscribe page's offer to opt back in: an ordinary form, CSRF-checked."""
    now = datetime.now(UTC)
    try:
        contents = unsubscribe.read_token(settings.secret_key, token, now)
    except unsubscribe.TokenRefused as refusal:
        return refused_page(refusal)
    outcome = await unsubscribe.opt_back_in(contents, ip=address, now=now)
    return unsubscribe_page(outcome, token)


ROUTES = [unsubscribe_link, unsubscribe_by_post, opt_back_in]

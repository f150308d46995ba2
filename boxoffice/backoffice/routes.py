"""Back-office pages: the dashboard, the audit log, security settings, the e-mail log and the staff
member's own account."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Template

from boxoffice.auth import accounts, audit, passwords
from boxoffice.auth.guards import Staff, client_ip
from boxoffice.auth.permissions import Perm
from boxoffice.auth.sessions import STORE_NAME, SessionState, rotate_session_id
from boxoffice.mail import outbox
from boxoffice.sales import catalog
from boxoffice.web import forms

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@get("/backoffice/", name="backoffice.dashboard", opt={"permission": Perm.SIGNED_IN})
async def dashboard() -> Template:
    performances = await catalog.upcoming_performances(datetime.now(UTC))
    return Template("backoffice/dashboard.html", context={"performances": performances})


@get("/backoffice/settings/security", name="backoffice.security", opt={"permission": Perm.SETTINGS_SECURITY})
async def security_settings(request: Request) -> Template:
    return Template("backoffice/security.html", context={"settings": request.app.state.settings})


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """The audit log's filters as typed in the form; anything unreadable is ignored and said so."""

    criteria: audit.AuditFilter
    problems: list[str]


def parse_day(text: str, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return forms.parse_day(text)
    except ValueError:
        problems.append(f"{label} is not a date such as 2026-11-21; it was ignored.")
        return None


def parse_audit_query(actor: str, action: str, since: str, until: str) -> AuditQuery:
    problems: list[str] = []
    actor_id = int(actor) if actor.isdigit() else None
    if actor and actor_id is None:
        problems.append("Unknown staff member; showing everyone.")
    first_day = parse_day(since, "From", problems)
    last_day = parse_day(until, "To", problems)
    return AuditQuery(
        audit.AuditFilter(
            actor_id=actor_id,
            action=action[:60],
            since=datetime.combine(first_day, time.min, UTC) if first_day else None,
            until=datetime.combine(last_day + timedelta(days=1), time.min, UTC) if last_day else None,
        ),
        problems,
    )


@get("/backoffice/audit", name="backoffice.audit", opt={"permission": Perm.AUDIT_LOG})
async def audit_log(
    request: Request,
    actor: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    page: FromQuery[int] = 1,
) -> Template:
    query = parse_audit_query(actor, action, since, until)
    page = max(1, min(page, 10_000))
    entries, has_next = await audit.search(
        query.criteria, page, with_personal=request.state.staff.may(Perm.CRM_CONTACTS)
    )
    return Template(
        "backoffice/audit.html",
        context={
            "entries": entries,
            "has_next": has_next,
            "page": page,
            "problems": query.problems,
            "actors": await audit.actors(),
            "actions": await audit.known_actions(),
            "filters": {"actor": actor, "action": action, "since": since, "until": until},
        },
    )


@dataclass
class PasswordForm:
    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""


def account_page(
    *, errors: list[str] | None = None, changed: bool = False, status_code: int = 200
) -> Template:
    return Template(
        "backoffice/account.html",
        context={"errors": errors or [], "changed": changed},
        status_code=status_code,
    )


@get("/backoffice/account", name="backoffice.account", opt={"permission": Perm.SIGNED_IN})
async def account() -> Template:
    return account_page()


@post("/backoffice/account/password", name="backoffice.account.password", opt={"permission": Perm.SIGNED_IN})
async def change_password(request: Request, data: Annotated[PasswordForm, FORM]) -> Template:
    staff: Staff = request.state.staff
    if data.new_password != data.confirm_password:
        return account_page(errors=["The new password and its confirmation differ."], status_code=400)
    try:
        epoch = await accounts.change_password(
            staff.id,
            current=data.current_password[:1024],
            new=data.new_password[:1024],
            ip=client_ip(request),
        )
    except (accounts.AccountRefused, passwords.PasswordRejected) as refusal:
        return account_page(errors=[str(refusal)], status_code=400)
    state = SessionState.from_session(request.session)
    if state is not None:
        await rotate_session_id(request, request.app.stores.get(STORE_NAME))
        request.set_session(replace(state, epoch=epoch).as_session())
    return account_page(changed=True)


EMAIL_LOG_PAGE_SIZE = 50


@get("/backoffice/email-log", name="backoffice.email_log", opt={"permission": Perm.SETTINGS_EMAIL_LOG})
async def email_log(page: FromQuery[int] = 1) -> Template:
    """Every e-mail Boxoffice has sent or will send; without SMTP settings this is where they can be read."""
    page = max(1, min(page, 10_000))
    messages = await outbox.recent_messages(
        limit=EMAIL_LOG_PAGE_SIZE + 1, offset=(page - 1) * EMAIL_LOG_PAGE_SIZE
    )
    return Template(
        "backoffice/email_log.html",
        context={
            "messages": messages[:EMAIL_LOG_PAGE_SIZE],
            "page": page,
            "has_next": len(messages) > EMAIL_LOG_PAGE_SIZE,
        },
    )


@get(
    "/backoffice/email-log/{message_id:int}",
    name="backoffice.email_log.message",
    opt={"permission": Perm.SETTINGS_EMAIL_LOG},
)
async def email_message(message_id: FromPath[int]) -> Template:
    message = await outbox.message_detail(message_id)
    if message is None:
        raise NotFoundException()
    return Template("backoffice/email_message.html", context={"message": message})


BACKOFFICE_ROUTES = [
    dashboard,
    security_settings,
    audit_log,
    account,
    change_password,
    email_log,
    email_message,
]

"""Signing in and out of the back office: password, two-factor code or enrolment, recovery codes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeAlias

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from litestar.response import Redirect, Template

from boxoffice.auth import login, totp
from boxoffice.auth.permissions import Perm
from boxoffice.auth.tables import StaffUser
from boxoffice.secretbox import SecretBox
from boxoffice.web.dependencies import AppSettings, Secrets
from boxoffice.web.forms import FORM
from boxoffice.web.guards import client_ip, pending_state, safe_next, signed_in_staff
from boxoffice.web.sessions import STORE_NAME, SessionState, rotate_session_id

DASHBOARD = "/backoffice/"
ISSUER = "Boxoffice"
MAX_FIELD = 1024

WRONG_DETAILS = "The e-mail address or password is not right, or this account cannot sign in."
TOO_MANY = "Too many attempts from your network. Please wait ten minutes and try again."
WRONG_CODE = "That code was not accepted. Codes work once each; wait for the next one and try again."


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""


@dataclass
class CodeForm:
    code: str = ""


@dataclass(frozen=True, slots=True)
class SignInContext:
    """What every step of signing in checks against: who is asking from where, the limits on attempts,
    and the box the two-factor keys are sealed in."""

    address: str
    policy: login.SecurityPolicy
    box: SecretBox


def provide_sign_in(request: Request) -> SignInContext:
    state = request.app.state
    return SignInContext(client_ip(request), state.security_policy, state.secret_box)


SignIn: TypeAlias = NamedDependency[SkipValidation[SignInContext]]


async def start_session(request: Request, state: SessionState) -> None:
    """Give the session a new id and its new state: each step up in privilege gets a fresh id."""
    await rotate_session_id(request, request.app.stores.get(STORE_NAME))
    request.set_session(state.as_session())


async def finish_sign_in(request: Request, address: str, state: SessionState) -> None:
    await login.complete_sign_in(state.user_id, ip=address, now=datetime.now(UTC))
    now = time.time()
    await start_session(
        request, SessionState(state.user_id, state.epoch, "signed_in", signed_in_at=now, seen_at=now)
    )


def login_page(*, error: str = "", email: str = "", next_path: str = "", status_code: int = 200) -> Template:
    return Template(
        "backoffice/login.html",
        context={"error": error, "email": email, "next": next_path},
        status_code=status_code,
    )


class LoginController(Controller):
    path = "/backoffice"
    opt = {"permission": Perm.PUBLIC}
    dependencies = {"sign_in": Provide(provide_sign_in, sync_to_thread=False)}

    @get("/login", name="auth.login")
    async def show_login(self, request: Request, settings: AppSettings) -> Template | Redirect:
        next_path = request.query_params.get("next", "")
        if await signed_in_staff(request, settings):
            return Redirect(path=safe_next(next_path) or DASHBOARD, status_code=303)
        return login_page(next_path=safe_next(next_path) or "")

    @post("/login", name="auth.login.submit")
    async def submit_login(
        self,
        request: Request,
        sign_in: SignIn,
        data: Annotated[LoginForm, FORM],
    ) -> Template | Redirect:
        email, password = data.email.strip()[:MAX_FIELD], data.password[:MAX_FIELD]
        next_path = safe_next(data.next) or ""
        if not email or not password:
            return login_page(
                error="Enter your e-mail address and password.",
                email=email,
                next_path=next_path,
                status_code=400,
            )
        outcome = await login.check_password(
            email, password, ip=sign_in.address, now=datetime.now(UTC), policy=sign_in.policy
        )
        if outcome.next is login.Next.WAIT:
            return login_page(error=TOO_MANY, email=email, next_path=next_path, status_code=429)
        if outcome.next is login.Next.RETRY or outcome.user_id is None:
            return login_page(error=WRONG_DETAILS, email=email, next_path=next_path, status_code=400)
        now = time.time()
        state = SessionState(outcome.user_id, outcome.session_epoch, outcome.next.value, now, now)
        if outcome.next is login.Next.SIGNED_IN:
            await finish_sign_in(request, sign_in.address, state)
            return Redirect(path=next_path or DASHBOARD, status_code=303)
        if outcome.next is login.Next.ENROL:
            state = SessionState(
                outcome.user_id,
                outcome.session_epoch,
                "enrol",
                now,
                now,
                pending_secret=sign_in.box.encrypt(totp.new_secret()),
            )
        await start_session(request, state)
        target = (
            "/backoffice/login/code"
            if outcome.next is login.Next.SECOND_FACTOR
            else "/backoffice/login/enrol"
        )
        return Redirect(path=target, status_code=303)

    @get("/login/code", name="auth.code")
    async def show_code(self, request: Request) -> Template | Redirect:
        if pending_state(request, "second_factor") is None:
            return Redirect(path="/backoffice/login", status_code=303)
        return Template("backoffice/login_code.html", context={"error": ""})

    @post("/login/code", name="auth.code.submit")
    async def submit_code(
        self,
        request: Request,
        sign_in: SignIn,
        data: Annotated[CodeForm, FORM],
    ) -> Template | Redirect:
        state = pending_state(request, "second_factor")
        if state is None:
            return Redirect(path="/backoffice/login", status_code=303)
        accepted = await login.check_second_factor(
            state.user_id,
            data.code,
            ip=sign_in.address,
            now=datetime.now(UTC),
            policy=sign_in.policy,
            box=sign_in.box,
        )
        if not accepted:
            return Template("backoffice/login_code.html", context={"error": WRONG_CODE}, status_code=400)
        await finish_sign_in(request, sign_in.address, state)
        return Redirect(path=DASHBOARD, status_code=303)

    @get("/login/enrol", name="auth.enrol")
    async def show_enrolment(self, request: Request, secret_box: Secrets) -> Template | Redirect:
        state = pending_state(request, "enrol")
        if state is None or state.pending_secret is None:
            return Redirect(path="/backoffice/login", status_code=303)
        return await enrolment_page(request, secret_box, state, error="")

    @post("/login/enrol", name="auth.enrol.submit")
    async def submit_enrolment(
        self,
        request: Request,
        sign_in: SignIn,
        data: Annotated[CodeForm, FORM],
    ) -> Template | Redirect:
        state = pending_state(request, "enrol")
        if state is None or state.pending_secret is None:
            return Redirect(path="/backoffice/login", status_code=303)
        recovery_codes = await login.confirm_enrolment(
            state.user_id,
            sign_in.box.decrypt(state.pending_secret),
            data.code,
            ip=sign_in.address,
            now=datetime.now(UTC),
            policy=sign_in.policy,
            box=sign_in.box,
        )
        if recovery_codes is None:
            return await enrolment_page(request, sign_in.box, state, error=WRONG_CODE, status_code=400)
        await finish_sign_in(request, sign_in.address, state)
        return Template("backoffice/recovery_codes.html", context={"recovery_codes": recovery_codes})

    @post("/logout", name="auth.logout", opt={"permission": Perm.SIGNED_IN})
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()
        return Redirect(path="/backoffice/login", status_code=303)


async def enrolment_page(
    request: Request, secret_box: SecretBox, state: SessionState, *, error: str, status_code: int = 200
) -> Template:
    secret = secret_box.decrypt(state.pending_secret or "")
    account = await StaffUser.select(StaffUser.email).where(StaffUser.id == state.user_id).first()
    uri = totp.provisioning_uri(secret, account["email"] if account else "", ISSUER)
    return Template(
        "backoffice/login_enrol.html",
        context={"qr_svg": totp.qr_code_svg(uri), "secret": secret, "error": error},
        status_code=status_code,
    )


ROUTES = [LoginController]

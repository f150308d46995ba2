"""The one guard on every staff route: allowed network, signed in, and holding the route's permission.

A route names its permission in `opt["permission"]` (the menu it belongs to); an action that also shows
or reaches what another menu guards names those in `opt["also_requires"]`."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from urllib.parse import quote

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Response

from boxoffice.auth.delegation import may_give
from boxoffice.auth.permissions import Menu, Perm, deserialise, holds, visible_menus
from boxoffice.auth.roles import ADMIN
from boxoffice.auth.tables import StaffUser
from boxoffice.config import Settings
from boxoffice.venue.settings import house_name
from boxoffice.web.sessions import SessionState

PENDING_STAGE_SECONDS = 300  # between a right password and the second factor
LOGIN_PATH = "/backoffice/login"


class LoginRequired(NotAuthorizedException):
    """No signed-in staff session: the visitor is sent to the login page."""


@dataclass(frozen=True, slots=True)
class Staff:
    id: int
    name: str
    email: str
    role_name: str
    is_admin: bool
    permissions: frozenset[Perm]
    two_factor: bool

    def may(self, permission: Perm) -> bool:
        return holds(self.permissions, permission)

    def may_give(self, permission: Perm) -> bool:
        return may_give(self.permissions, permission, is_admin=self.is_admin)

    @property
    def navigation(self) -> list[tuple[Menu, list[Menu]]]:
        return visible_menus(self.permissions)


def client_ip(connection: ASGIConnection) -> str:
    """The client's address; behind a trusted proxy uvicorn has already taken it from X-Forwarded-For."""
    return connection.client.host if connection.client else ""


def settings_of(connection: ASGIConnection) -> Settings:
    return connection.app.state.settings


async def staff_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    settings = settings_of(connection)
    if not settings.staff_network_allows(client_ip(connection)):
        raise PermissionDeniedException()
    permission = handler.opt.get("permission")
    if permission is None:  # a staff route that names no permission is open to nobody
        raise PermissionDeniedException()
    if permission == Perm.PUBLIC:
        return
    staff = await signed_in_staff(connection, settings)
    if staff is None:
        raise LoginRequired()
    if not all(staff.may(needed) for needed in (permission, *handler.opt.get("also_requires", ()))):
        raise PermissionDeniedException()


async def signed_in_staff(connection: ASGIConnection, settings: Settings) -> Staff | None:
    """The staff member this request's session belongs to, or None (and the session is cleared) when it
    has lapsed, ended, or belongs to an account that may no longer sign in."""
    state = SessionState.from_session(connection.session)
    if state is None or state.stage != "signed_in":
        return None
    now = time.time()
    if (
        now - state.signed_in_at > settings.staff_session_hours * 3600
        or now - state.seen_at > settings.staff_idle_minutes * 60
    ):
        connection.clear_session()
        return None
    row = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.name,
            StaffUser.email,
            StaffUser.active,
            StaffUser.suspended,
            StaffUser.session_epoch,
            StaffUser.totp_secret,
            StaffUser.role.name.as_alias("role_name"),
            StaffUser.role.builtin.as_alias("role_builtin"),
            StaffUser.role.permissions.as_alias("role_permissions"),
        )
        .where(StaffUser.id == state.user_id)
        .first()
    )
    if row is None or not row["active"] or row["suspended"] or row["session_epoch"] != state.epoch:
        connection.clear_session()
        return None
    connection.set_session(replace(state, seen_at=now).as_session())
    staff = Staff(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        role_name=row["role_name"],
        is_admin=row["role_builtin"] == ADMIN,
        permissions=deserialise(row["role_permissions"]),
        two_factor=row["totp_secret"] is not None,
    )
    connection.state.staff = staff
    connection.state.house_name = await house_name()  # the staff header names the venue
    return staff


def pending_state(connection: ASGIConnection, stage: str) -> SessionState | None:
    """The half-finished login of this session, if it is at `stage` and recent."""
    state = SessionState.from_session(connection.session)
    if state is None or state.stage != stage or time.time() - state.signed_in_at > PENDING_STAGE_SECONDS:
        return None
    return state


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may follow a login, never another site's address."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


def redirect_to_login(request: Request, exc: LoginRequired) -> Response:
    target = LOGIN_PATH
    if request.method == "GET":
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += f"?next={quote(path, safe='')}"
    if request.headers.get("hx-request"):
        return Response(content="", status_code=401, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)

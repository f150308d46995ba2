"""Staff sessions, kept server-side in the database through Litestar's session middleware.

The browser holds only a random id (256 bits) in an HttpOnly, SameSite=Lax cookie, Secure outside
localhost. The id changes whenever the session gains privileges: Litestar's backend would otherwise keep
whatever id the browser sent, so an id planted before login would become the signed-in one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import Empty, Message, ScopeSession

from boxoffice.auth.tables import StaffSession

SESSION_COOKIE = "boxoffice_staff"
STORE_NAME = "staff_sessions"
SESSION_ID_BYTES = 32
ROTATED_ID_STATE = "rotated_session_id"


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def expiry(expires_in: int | timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
    return datetime.now(UTC) + timedelta(seconds=seconds)


class DatabaseSessionStore(Store):
    """Litestar's `Store` over the staff_session table, keyed by the digest of each id."""

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        await StaffSession.insert(
            StaffSession(key=digest(key), data=data, expires_at=expiry(expires_in))
        ).on_conflict(
            target=StaffSession.key, action="DO UPDATE", values=[StaffSession.data, StaffSession.expires_at]
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        row = (
            await StaffSession.select(StaffSession.data, StaffSession.expires_at)
            .where(StaffSession.key == digest(key))
            .first()
        )
        if row is None or (row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC)):
            return None
        if renew_for is not None:
            await StaffSession.update({StaffSession.expires_at: expiry(renew_for)}).where(
                StaffSession.key == digest(key)
            )
        return bytes(row["data"])

    async def delete(self, key: str) -> None:
        await StaffSession.delete().where(StaffSession.key == digest(key))

    async def delete_all(self) -> None:
        await StaffSession.delete(force=True)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = (
            await StaffSession.select(StaffSession.expires_at).where(StaffSession.key == digest(key)).first()
        )
        if row is None or row["expires_at"] is None:
            return None
        return max(0, int((row["expires_at"] - datetime.now(UTC)).total_seconds()))


class RotatingSessionBackend(ServerSideSessionBackend):
    """Stores the session under a fresh id when `rotate_session_id()` asked for one during the request,
    and stores only sessions that hold something: a visitor who never signs in leaves no row behind and
    gets no cookie (Litestar would store an empty session for every response)."""

    def get_session_id(self, connection: ASGIConnection) -> str:
        return connection.state.get(ROTATED_ID_STATE) or super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        if scope_session is Empty or not scope_session:
            if not connection.cookies.get(self.config.key):
                return
            scope_session = Empty
        await super().store_in_message(scope_session, message, connection)


@dataclass
class StaffSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def session_config(*, idle_minutes: int, secure: bool) -> StaffSessionConfig:
    """Each response re-stores the session for `idle_minutes`, so an idle session lapses in the store
    as well as being refused by the staff guard."""
    return StaffSessionConfig(
        key=SESSION_COOKIE,
        store=STORE_NAME,
        session_id_bytes=SESSION_ID_BYTES,
        max_age=idle_minutes * 60,
        secure=secure,
        httponly=True,
        samesite="lax",
        path="/",
    )


async def rotate_session_id(connection: ASGIConnection, store: Store) -> None:
    """Retire the id the browser sent (if any) and have this response set a new one."""
    if old_id := connection.cookies.get(SESSION_COOKIE):
        await store.delete(old_id)
    connection.state[ROTATED_ID_STATE] = secrets.token_hex(SESSION_ID_BYTES)


@dataclass(frozen=True, slots=True)
class SessionState:
    """What a staff session remembers. Stages: "second_factor" and "enrol" after a right password,
    "signed_in" once complete."""

    user_id: int
    epoch: int
    stage: str
    signed_in_at: float
    seen_at: float
    pending_secret: str | None = None  # encrypted, during enrolment only

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> SessionState | None:
        try:
            return cls(**data)
        except TypeError:
            return None

    def as_session(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

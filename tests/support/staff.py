"""Staff accounts for tests, and signing them in through the real login pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pyotp

from boxoffice.auth import accounts, totp
from boxoffice.auth.tables import Role, StaffUser
from boxoffice.config import get_settings
from boxoffice.secretbox import SecretBox

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class TestStaff:
    id: int
    email: str
    password: str
    totp_secret: str | None
    last_step: int = 0

    def next_code(self) -> str:
        """A code for a time step not used yet: now, or the one after (which the server still accepts)."""
        step = max(int(datetime.now(UTC).timestamp()) // totp.STEP_SECONDS, self.last_step + 1)
        self.last_step = step
        return pyotp.TOTP(self.totp_secret).at(step * totp.STEP_SECONDS)


async def role_id(builtin: str) -> int:
    row = await Role.select(Role.id).where(Role.builtin == builtin).first()
    assert row is not None, builtin
    return row["id"]


async def make_staff(
    role: str = "admin", *, email: str | None = None, name: str = "Sam Staff", enrolled: bool = True
) -> TestStaff:
    """A staff member with the built-in `role`; `enrolled` gives them an authenticator already."""
    email = email or f"{role.replace('_', '.')}@venue.example"
    return await make_staff_on(await role_id(role), email=email, name=name, enrolled=enrolled)


async def make_staff_on(
    role: int, *, email: str, name: str = "Sam Staff", enrolled: bool = True
) -> TestStaff:
    """A staff member on the role with id `role`, built-in or made by the test."""
    user_id = await accounts.create_staff(
        email=email, name=name, password=PASSWORD, role_id=role, actor_id=None, ip="test"
    )
    secret = None
    if enrolled:
        secret = totp.new_secret()
        box = SecretBox(get_settings().encryption_keys)
        await StaffUser.update({StaffUser.totp_secret: box.encrypt(secret)}).where(StaffUser.id == user_id)
    return TestStaff(user_id, email, PASSWORD, secret)


async def csrf_token(client: httpx.AsyncClient, path: str = "/backoffice/login") -> str:
    page = await client.get(path)
    found = CSRF_INPUT.search(page.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict, *, form_page: str | None = None
) -> httpx.Response:
    """Submit a form the way a browser does: with the CSRF token of the page that shows it."""
    token = await csrf_token(client, form_page or path)
    return await client.post(path, data={**data, "_csrf_token": token})


async def sign_in(client: httpx.AsyncClient, staff: TestStaff) -> None:
    response = await post_form(
        client, "/backoffice/login", {"email": staff.email, "password": staff.password}
    )
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/backoffice/login/code":
        response = await post_form(client, "/backoffice/login/code", {"code": staff.next_code()})
        assert response.status_code == 303, response.text
    assert response.headers["location"] == "/backoffice/"

"""Signing in and out: passwords, two-factor codes, sessions, lockout and flood limits."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pyotp
import pytest

from boxoffice.auth import passwords
from boxoffice.auth.login import SecurityPolicy, check_second_factor
from boxoffice.auth.tables import AuditEntry, LoginAttempt, RecoveryCode, StaffSession, StaffUser
from boxoffice.config import get_settings
from boxoffice.secretbox import SecretBox
from boxoffice.web.sessions import SESSION_COOKIE, digest
from tests.support.app import app_client
from tests.support.staff import PASSWORD, make_staff, post_form, sign_in

GENERIC_FAILURE = "The e-mail address or password is not right, or this account cannot sign in."


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await post_form(client, "/backoffice/login", {"email": email, "password": password})


async def test_login_page_has_labelled_fields_and_is_never_cached(client):
    response = await client.get("/backoffice/login")
    assert response.status_code == 200
    assert '<label for="field-email">E-mail address</label>' in response.text
    assert '<label for="field-password">Password</label>' in response.text
    assert response.headers["cache-control"] == "no-store"


async def test_staff_pages_send_visitors_to_the_login_page(client):
    response = await client.get("/backoffice/audit?action=login.failed")
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/backoffice/login?next=%2Fbackoffice%2Faudit%3Faction%3Dlogin.failed"
    )

    htmx = await client.get("/backoffice/audit", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["hx-redirect"].startswith("/backoffice/login")


async def test_a_staff_member_without_two_factor_signs_in_and_out(client):
    door = await make_staff("door_staff", enrolled=False)

    response = await attempt(client, door.email, PASSWORD)

    assert response.status_code == 303 and response.headers["location"] == "/backoffice/"
    cookie = next(
        header for header in response.headers.get_list("set-cookie") if header.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http is only allowed on localhost, where Secure cookies cannot work
    session_id = client.cookies[SESSION_COOKIE]
    assert re.fullmatch(r"[0-9a-f]{64}", session_id)  # 256 random bits
    assert await StaffSession.exists().where(StaffSession.key == digest(session_id))
    assert not await StaffSession.exists().where(StaffSession.key == session_id)  # only digests are stored
    assert (await client.get("/backoffice/checkin")).status_code == 200

    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get("/backoffice/checkin")).text)
    response = await client.post("/backoffice/logout", data={"_csrf_token": token.group(1)})

    assert response.status_code == 303 and response.headers["location"] == "/backoffice/login"
    assert not await StaffSession.exists().where(StaffSession.key == digest(session_id))
    client.cookies.set(SESSION_COOKIE, session_id, domain="testserver.local")  # replaying the old cookie
    assert (await client.get("/backoffice/checkin")).status_code == 303


async def test_a_session_id_planted_before_login_never_becomes_the_signed_in_one(client):
    door = await make_staff("door_staff", enrolled=False)
    planted = "a" * 64
    client.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")

    await sign_in(client, door)

    assert client.cookies[SESSION_COOKIE] != planted
    assert not await StaffSession.exists().where(StaffSession.key == digest(planted))
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as attacker:
        attacker.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
        assert (await attacker.get("/backoffice/checkin")).status_code == 303


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("door.staff@venue.example", "wrong password entirely"),
        ("nobody@venue.example", PASSWORD),
        ("DOOR.STAFF@venue.example", "wrong password entirely"),
    ],
)
async def test_wrong_details_get_one_message_that_reveals_nothing(client, email, password):
    await make_staff("door_staff", enrolled=False)

    response = await attempt(client, email, password)

    assert response.status_code == 400
    assert GENERIC_FAILURE in response.text
    assert SESSION_COOKIE not in client.cookies


async def test_empty_and_oversized_fields_are_refused_with_a_message(client):
    response = await attempt(client, "", "")
    assert response.status_code == 400 and "Enter your e-mail address and password." in response.text
    response = await attempt(client, "x" * 5000 + "@venue.example", "p" * 100_000)
    assert response.status_code == 400 and GENERIC_FAILURE in response.text


async def test_an_admin_must_enrol_an_authenticator_before_getting_in(client):
    admin = await make_staff("admin", enrolled=False)

    response = await attempt(client, admin.email, PASSWORD)
    assert response.headers["location"] == "/backoffice/login/enrol"
    assert (await client.get("/backoffice/")).status_code == 303  # not in yet

    page = await client.get("/backoffice/login/enrol")
    assert "<svg" in page.text and "QR code for your authenticator app" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)

    wrong = await post_form(client, "/backoffice/login/enrol", {"code": "000000"})
    assert wrong.status_code == 400 and "That code was not accepted." in wrong.text

    done = await post_form(client, "/backoffice/login/enrol", {"code": pyotp.TOTP(secret).now()})

    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.text)
    assert len(set(codes)) == 10
    assert (await client.get("/backoffice/")).status_code == 200
    stored = await RecoveryCode.select(RecoveryCode.digest).where(RecoveryCode.user == admin.id)
    assert len(stored) == 10 and not {row["digest"] for row in stored} & set(codes)
    user = await StaffUser.select(StaffUser.totp_secret).where(StaffUser.id == admin.id).first()
    assert user["totp_secret"] and secret not in user["totp_secret"]  # encrypted at rest


async def test_each_authenticator_code_works_once(client):
    admin = await make_staff("admin")
    code = admin.next_code()

    await attempt(client, admin.email, PASSWORD)
    first = await post_form(client, "/backoffice/login/code", {"code": code})
    assert first.status_code == 303

    client.cookies.clear()
    await attempt(client, admin.email, PASSWORD)
    again = await post_form(client, "/backoffice/login/code", {"code": code})
    assert again.status_code == 400 and "That code was not accepted." in again.text


async def test_a_code_from_an_earlier_step_is_refused_once_a_later_one_was_used(client):
    admin = await make_staff("admin")
    now_step = int(datetime.now(UTC).timestamp()) // 30
    totp = pyotp.TOTP(admin.totp_secret)

    await attempt(client, admin.email, PASSWORD)
    assert (
        await post_form(client, "/backoffice/login/code", {"code": totp.at((now_step + 1) * 30)})
    ).status_code == 303

    client.cookies.clear()
    await attempt(client, admin.email, PASSWORD)
    previous = await post_form(client, "/backoffice/login/code", {"code": totp.at(now_step * 30)})
    assert previous.status_code == 400


async def test_a_recovery_code_signs_in_once(client):
    admin = await make_staff("admin", enrolled=False)
    await attempt(client, admin.email, PASSWORD)
    secret = re.search(
        r'id="totp-secret">([A-Z2-7]+)<', (await client.get("/backoffice/login/enrol")).text
    ).group(1)
    done = await post_form(client, "/backoffice/login/enrol", {"code": pyotp.TOTP(secret).now()})
    recovery_code = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.text)[0]

    for expected in (303, 400):
        client.cookies.clear()
        await attempt(client, admin.email, PASSWORD)
        response = await post_form(client, "/backoffice/login/code", {"code": recovery_code.upper()})
        assert response.status_code == expected


async def test_ten_failures_in_a_row_suspend_the_account_and_an_admin_can_lift_it(client):
    door = await make_staff("door_staff", enrolled=False)
    for _ in range(get_settings().lockout_threshold):
        assert (await attempt(client, door.email, "not the password at all")).status_code == 400

    user = await StaffUser.select(StaffUser.suspended).where(StaffUser.id == door.id).first()
    assert user["suspended"] is True
    assert await AuditEntry.exists().where(
        (AuditEntry.action == "staff.suspended") & (AuditEntry.object_id == str(door.id))
    )
    response = await attempt(client, door.email, PASSWORD)  # right password, suspended account
    assert response.status_code == 400 and GENERIC_FAILURE in response.text

    from boxoffice.auth.accounts import lift_suspension

    await lift_suspension(door.id, actor_id=door.id, ip="test")
    assert (await attempt(client, door.email, PASSWORD)).status_code == 303


async def test_wrong_two_factor_codes_count_toward_suspension(client):
    admin = await make_staff("admin")
    await attempt(client, admin.email, PASSWORD)
    for _ in range(get_settings().lockout_threshold):
        await post_form(
            client, "/backoffice/login/code", {"code": "123456"}, form_page="/backoffice/login/code"
        )

    user = await StaffUser.select(StaffUser.suspended).where(StaffUser.id == admin.id).first()
    assert user["suspended"] is True
    refused = await post_form(client, "/backoffice/login/code", {"code": admin.next_code()})
    assert refused.status_code == 400 and "That code was not accepted." in refused.text
    assert (await client.get("/backoffice/")).status_code == 303


async def test_a_login_flood_from_one_address_is_stopped_before_any_hashing(database, monkeypatch):
    door = await make_staff("door_staff", enrolled=False)
    verified = []
    original = passwords.verify_password

    async def counting(password_hash, password):
        verified.append(1)
        return await original(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    settings = replace(get_settings(), login_attempts_per_ip=3)
    async with app_client(settings) as client:
        statuses = [(await attempt(client, door.email, "wrong password here")).status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 429, 429]
    assert len(verified) == 3
    assert await LoginAttempt.count() == 3


async def test_a_deactivated_accounts_session_stops_working(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == door.id)

    assert (await client.get("/backoffice/checkin")).status_code == 303


@pytest.fixture
def clock(monkeypatch):
    """Moves the staff guard's clock forward by `clock.advance(seconds)`."""
    import boxoffice.web.guards as guards

    class Clock:
        offset = 0.0

        def advance(self, seconds: float) -> None:
            self.offset += seconds

    moved = Clock()
    real_time = guards.time.time
    monkeypatch.setattr(
        guards, "time", type("MovedTime", (), {"time": staticmethod(lambda: real_time() + moved.offset)})
    )
    return moved


async def test_a_session_left_idle_ends(client, clock):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)
    clock.advance(get_settings().staff_idle_minutes * 60 - 30)
    assert (await client.get("/backoffice/checkin")).status_code == 200

    clock.advance(get_settings().staff_idle_minutes * 60 + 1)

    assert (await client.get("/backoffice/checkin")).status_code == 303


async def test_a_busy_session_still_ends_after_the_working_day(client, clock):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)
    settings = get_settings()
    step = settings.staff_idle_minutes * 60 // 2
    for _ in range(settings.staff_session_hours * 3600 // step - 1):
        clock.advance(step)
        assert (await client.get("/backoffice/checkin")).status_code == 200

    clock.advance(step + 1)

    assert (await client.get("/backoffice/checkin")).status_code == 303


async def test_expired_sessions_are_purged_at_the_next_login(client):
    door = await make_staff("door_staff", enrolled=False)
    await StaffSession.insert(
        StaffSession(key="0" * 64, data=b"{}", expires_at=datetime(2020, 1, 1, tzinfo=UTC))
    )

    await sign_in(client, door)

    assert not await StaffSession.exists().where(StaffSession.key == "0" * 64)


async def test_one_code_submitted_twice_at_once_is_accepted_once(database):
    admin = await make_staff("admin")
    code = admin.next_code()
    settings = get_settings()
    policy = SecurityPolicy(
        settings.lockout_threshold, settings.login_attempts_per_ip, settings.secret_key.encode()
    )
    box = SecretBox(settings.encryption_keys)

    results = await asyncio.gather(
        *[
            check_second_factor(admin.id, code, ip="test", now=datetime.now(UTC), policy=policy, box=box)
            for _ in range(2)
        ]
    )

    assert sorted(results) == [False, True]

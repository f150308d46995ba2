"""Signing staff in: a password, then a two-factor code (or enrolment), with lockout and flood limits.

Every answer a visitor sees is one of "go on", "try again" or "wait": whether an account exists, is
suspended or deactivated is never revealed, and an unknown e-mail costs as much time as a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from boxoffice.auth import audit, passwords, totp
from boxoffice.auth.accounts import normalise_email
from boxoffice.auth.delegation import needs_two_factor
from boxoffice.auth.permissions import deserialise
from boxoffice.auth.tables import LoginAttempt, RecoveryCode, StaffSession, StaffUser
from boxoffice.db import write_transaction
from boxoffice.secretbox import SecretBox

LOGIN_WINDOW = timedelta(minutes=10)
ATTEMPTS_KEPT_FOR = timedelta(days=1)


class Next(StrEnum):
    RETRY = "retry"  # wrong details, or an account that may not sign in: the same words either way
    WAIT = "wait"  # too many attempts from this address
    SECOND_FACTOR = "second_factor"
    ENROL = "enrol"
    SIGNED_IN = "signed_in"


@dataclass(frozen=True, slots=True)
class PasswordOutcome:
    next: Next
    user_id: int | None = None
    session_epoch: int = 0


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    lockout_threshold: int
    attempts_per_ip: int
    recovery_key: bytes


async def within_rate_limit(ip: str, now: datetime, limit: int) -> bool:
    """Count this attempt against the address; False once it has made `limit` in the window.

    Runs before any password is hashed, so a flood from one address cannot exhaust the CPU."""
    recent = await LoginAttempt.count().where(
        (LoginAttempt.ip == ip) & (LoginAttempt.attempted_at > now - LOGIN_WINDOW)
    )
    if recent >= limit:
        return False
    await LoginAttempt.insert(LoginAttempt(ip=ip, attempted_at=now))
    return True


async def check_password(
    email: str, password: str, *, ip: str, now: datetime, policy: SecurityPolicy
) -> PasswordOutcome:
    if not await within_rate_limit(ip, now, policy.attempts_per_ip):
        return PasswordOutcome(Next.WAIT)
    account = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.password_hash,
            StaffUser.active,
            StaffUser.suspended,
            StaffUser.totp_secret,
            StaffUser.session_epoch,
            StaffUser.role.requires_totp.as_alias("role_requires_totp"),
            StaffUser.role.builtin.as_alias("role_builtin"),
            StaffUser.role.permissions.as_alias("role_permissions"),
        )
        .where(StaffUser.email == normalise_email(email))
        .first()
    )
    if account is None or not account["active"]:
        await passwords.spend_verification_time()
        await audit.record("login.failed", actor_id=None, ip=ip, detail={"reason": "no active account"})
        return PasswordOutcome(Next.RETRY)
    check = await passwords.verify_password(account["password_hash"], password)
    if account["suspended"]:
        await audit.record(
            "login.refused",
            actor_id=None,
            ip=ip,
            object_type="staff_user",
            object_id=account["id"],
            detail={"reason": "suspended"},
        )
        return PasswordOutcome(Next.RETRY)
    if not check.valid:
        await count_failure(account["id"], ip=ip, threshold=policy.lockout_threshold, reason="password")
        return PasswordOutcome(Next.RETRY)
    if check.new_hash:
        await StaffUser.update({StaffUser.password_hash: check.new_hash}).where(StaffUser.id == account["id"])
    if account["totp_secret"] is not None:
        step = Next.SECOND_FACTOR
    elif needs_two_factor(
        deserialise(account["role_permissions"]),
        required=account["role_requires_totp"],
        builtin=account["role_builtin"],
    ):
        step = Next.ENROL
    else:
        step = Next.SIGNED_IN
    return PasswordOutcome(step, account["id"], account["session_epoch"])


async def count_failure(user_id: int, *, ip: str, threshold: int, reason: str) -> None:
    """One more failure in a row; the one that reaches `threshold` suspends the account."""
    async with write_transaction():
        [row] = (
            await StaffUser.update({StaffUser.failed_attempts: StaffUser.failed_attempts + 1})
            .where(StaffUser.id == user_id)
            .returning(StaffUser.failed_attempts, StaffUser.suspended)
        )
        await audit.record(
            "login.failed",
            actor_id=None,
            ip=ip,
            object_type="staff_user",
            object_id=user_id,
            detail={"reason": reason},
        )
        if row["failed_attempts"] >= threshold and not row["suspended"]:
            await StaffUser.update({StaffUser.suspended: True}).where(StaffUser.id == user_id)
            await audit.record(
                "staff.suspended",
                actor_id=None,
                ip=ip,
                object_type="staff_user",
                object_id=user_id,
                detail={"failed_attempts": row["failed_attempts"]},
            )


async def check_second_factor(
    user_id: int, code: str, *, ip: str, now: datetime, policy: SecurityPolicy, box: SecretBox
) -> bool:
    """A current authenticator code not used before, or an unused recovery code. Either is spent by
    one conditional UPDATE, so the same code submitted twice at once still counts once."""
    account = (
        await StaffUser.select(
            StaffUser.totp_secret, StaffUser.totp_last_step, StaffUser.active, StaffUser.suspended
        )
        .where(StaffUser.id == user_id)
        .first()
    )
    if account is None or not account["active"] or account["suspended"] or account["totp_secret"] is None:
        return False
    code = code.strip()[:64]
    if len(code) == totp.CODE_DIGITS and code.isdigit():
        if await spend_totp_code(
            user_id, box.decrypt(account["totp_secret"]), code, account["totp_last_step"], now
        ):
            return True
    elif code and await spend_recovery_code(user_id, code, policy.recovery_key, now):
        await audit.record(
            "login.recovery_code_used", actor_id=user_id, ip=ip, object_type="staff_user", object_id=user_id
        )
        return True
    await count_failure(user_id, ip=ip, threshold=policy.lockout_threshold, reason="second factor")
    return False


async def spend_totp_code(
    user_id: int, secret: str, code: str, last_used_step: int | None, now: datetime
) -> bool:
    step = totp.matching_step(secret, code, last_used_step=last_used_step, now=now)
    if step is None:
        return False
    spent = (
        await StaffUser.update({StaffUser.totp_last_step: step})
        .where(
            (StaffUser.id == user_id)
            & (StaffUser.totp_last_step.is_null() | (StaffUser.totp_last_step < step))
        )
        .returning(StaffUser.id)
    )
    return bool(spent)


async def spend_recovery_code(user_id: int, code: str, key: bytes, now: datetime) -> bool:
    spent = (
        await RecoveryCode.update({RecoveryCode.used_at: now})
        .where(
            (RecoveryCode.user == user_id)
            & (RecoveryCode.digest == totp.recovery_code_digest(code, key))
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    return bool(spent)


async def confirm_enrolment(
    user_id: int, secret: str, code: str, *, ip: str, now: datetime, policy: SecurityPolicy, box: SecretBox
) -> list[str] | None:
    """Keep the new authenticator once it has produced a valid code; returns fresh recovery codes,
    shown to the person once and stored only as digests."""
    step = totp.matching_step(secret, code.strip()[:64], last_used_step=None, now=now)
    if step is None:
        await count_failure(user_id, ip=ip, threshold=policy.lockout_threshold, reason="enrolment code")
        return None
    codes = totp.new_recovery_codes()
    async with write_transaction():
        await StaffUser.update(
            {StaffUser.totp_secret: box.encrypt(secret), StaffUser.totp_last_step: step}
        ).where(StaffUser.id == user_id)
        await RecoveryCode.delete().where(RecoveryCode.user == user_id)
        await RecoveryCode.insert(
            *[
                RecoveryCode(user=user_id, digest=totp.recovery_code_digest(item, policy.recovery_key))
                for item in codes
            ]
        )
        await audit.record(
            "staff.two_factor_enrolled", actor_id=user_id, ip=ip, object_type="staff_user", object_id=user_id
        )
    return codes


async def complete_sign_in(user_id: int, *, ip: str, now: datetime) -> None:
    """The person is in: the failure count starts again, and stale sessions and attempts are swept."""
    async with write_transaction():
        await StaffUser.update({StaffUser.failed_attempts: 0, StaffUser.last_login_at: now}).where(
            StaffUser.id == user_id
        )
        await audit.record(
            "login.succeeded", actor_id=user_id, ip=ip, object_type="staff_user", object_id=user_id
        )
    await StaffSession.delete().where(StaffSession.expires_at < now)
    await LoginAttempt.delete().where(LoginAttempt.attempted_at < now - ATTEMPTS_KEPT_FOR)

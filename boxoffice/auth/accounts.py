"""Staff accounts as admins manage them: create, edit, deactivate, lift a suspension, reset two-factor.

Every change is audited, and none may leave the venue without an active admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.auth import audit, passwords
from boxoffice.auth.delegation import ADMIN, DelegationRefused, Grantor, check_within, grantor
from boxoffice.auth.permissions import deserialise
from boxoffice.auth.tables import RecoveryCode, Role, StaffUser
from boxoffice.db import write_transaction
from boxoffice.errors import Refused

MAX_NAME_LENGTH = 120
MAX_EMAIL_LENGTH = 254


class AccountRefused(Refused):
    """A change to an account that cannot be made; the message says why, for the person asking."""


@dataclass(frozen=True, slots=True)
class StaffSummary:
    id: int
    email: str
    name: str
    role_id: int
    role_name: str
    is_admin: bool
    active: bool
    suspended: bool
    two_factor: bool
    last_login_at: datetime | None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_identity(email: str, name: str) -> tuple[str, str]:
    email, name = normalise_email(email), " ".join(name.split())
    if not name:
        raise AccountRefused("Enter the person's name.")
    if len(name) > MAX_NAME_LENGTH:
        raise AccountRefused(f"Use at most {MAX_NAME_LENGTH} characters for the name.")
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or len(email) > MAX_EMAIL_LENGTH or " " in email:
        raise AccountRefused("Enter an e-mail address such as name@example.org.")
    return email, name


STAFF_COLUMNS = (
    StaffUser.id,
    StaffUser.email,
    StaffUser.name,
    StaffUser.role,
    StaffUser.role.name.as_alias("role_name"),
    StaffUser.role.builtin.as_alias("role_builtin"),
    StaffUser.active,
    StaffUser.suspended,
    StaffUser.totp_secret,
    StaffUser.last_login_at,
)


def staff_summary(row: dict) -> StaffSummary:
    return StaffSummary(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role_id=row["role"],
        role_name=row["role_name"],
        is_admin=row["role_builtin"] == ADMIN,
        active=row["active"],
        suspended=row["suspended"],
        two_factor=row["totp_secret"] is not None,
        last_login_at=row["last_login_at"],
    )


async def list_staff() -> list[StaffSummary]:
    rows = (
        await StaffUser.select(*STAFF_COLUMNS)
        .order_by(StaffUser.active, ascending=False)
        .order_by(StaffUser.name)
    )
    return [staff_summary(row) for row in rows]


async def get_staff(user_id: int) -> StaffSummary | None:
    row = await StaffUser.select(*STAFF_COLUMNS).where(StaffUser.id == user_id).first()
    return staff_summary(row) if row else None


async def create_staff(
    *, email: str, name: str, password: str, role_id: int, actor_id: int | None, ip: str
) -> int:
    email, name = validate_identity(email, name)
    passwords.check_password_policy(password, email=email, name=name)
    role = await Role.select(Role.permissions, Role.builtin).where(Role.id == role_id).first()
    if role is None:
        raise AccountRefused("Choose a role.")
    if actor_id is not None:  # from the command line there is no actor: its user holds the database
        check_within(
            await grantor(actor_id), deserialise(role["permissions"]), admin_role=role["builtin"] == ADMIN
        )
    password_hash = await passwords.hash_password(password)
    async with write_transaction():
        if await StaffUser.exists().where(StaffUser.email == email):
            raise AccountRefused("A staff account with this e-mail address already exists.")
        [row] = await StaffUser.insert(
            StaffUser(email=email, name=name, password_hash=password_hash, role=role_id)
        ).returning(StaffUser.id)
        await audit.record(
            "staff.created",
            actor_id=actor_id,
            ip=ip,
            object_type="staff_user",
            object_id=row["id"],
            detail={"role_id": role_id},
        )
    return row["id"]


async def active_admin_count(excluding: int | None = None) -> int:
    query = StaffUser.count().where(StaffUser.active.eq(True) & (StaffUser.role.builtin == ADMIN))
    if excluding is not None:
        query = query.where(StaffUser.id != excluding)
    return await query


async def update_staff(
    user_id: int, *, name: str, email: str, role_id: int, active: bool, actor_id: int, ip: str
) -> None:
    """Edit an account, within what the actor may give (see `delegation`). A role change or deactivation
    ends the person's sessions; the last active admin can be neither demoted nor deactivated."""
    email, name = validate_identity(email, name)
    async with write_transaction():
        current = await get_staff(user_id)
        if current is None:
            raise LookupError(user_id)
        new_role = await Role.select(Role.builtin, Role.permissions).where(Role.id == role_id).first()
        if new_role is None:
            raise AccountRefused("Choose a role.")
        loses_admin = current.is_admin and current.active and (new_role["builtin"] != ADMIN or not active)
        if loses_admin and await active_admin_count(excluding=user_id) == 0:
            raise AccountRefused("This is the last active admin: make someone else an admin first.")
        actor = await check_may_manage(actor_id, user_id)
        if role_id != current.role_id:
            if user_id == actor.id:
                raise DelegationRefused("You cannot change your own role; ask someone else who may.")
            check_within(actor, deserialise(new_role["permissions"]), admin_role=new_role["builtin"] == ADMIN)
        if await StaffUser.exists().where((StaffUser.email == email) & (StaffUser.id != user_id)):
            raise AccountRefused("A staff account with this e-mail address already exists.")
        ends_sessions = role_id != current.role_id or not active
        changes = {
            StaffUser.name: name,
            StaffUser.email: email,
            StaffUser.role: role_id,
            StaffUser.active: active,
        }
        if ends_sessions:
            changes[StaffUser.session_epoch] = StaffUser.session_epoch + 1
        await StaffUser.update(changes).where(StaffUser.id == user_id)
        changed = [
            field
            for field, before, after in (
                ("name", current.name, name),
                ("email", current.email, email),
                ("role_id", current.role_id, role_id),
                ("active", current.active, active),
            )
            if before != after
        ]
        if changed:
            await audit.record(
                "staff.deactivated" if current.active and not active else "staff.updated",
                actor_id=actor_id,
                ip=ip,
                object_type="staff_user",
                object_id=user_id,
                detail={"changed": changed, "role_id": role_id},
            )


async def check_may_manage(actor_id: int, user_id: int) -> Grantor:
    """The actor, if the account's present role lies within what they may give; else DelegationRefused."""
    actor = await grantor(actor_id)
    role = (
        await StaffUser.select(
            StaffUser.role.permissions.as_alias("permissions"), StaffUser.role.builtin.as_alias("builtin")
        )
        .where(StaffUser.id == user_id)
        .first()
    )
    if role is None:
        raise LookupError(user_id)
    check_within(actor, deserialise(role["permissions"]), admin_role=role["builtin"] == ADMIN)
    return actor


async def lift_suspension(user_id: int, *, actor_id: int, ip: str) -> None:
    async with write_transaction():
        await check_may_manage(actor_id, user_id)
        updated = (
            await StaffUser.update({StaffUser.suspended: False, StaffUser.failed_attempts: 0})
            .where((StaffUser.id == user_id) & StaffUser.suspended.eq(True))
            .returning(StaffUser.id)
        )
        if updated:
            await audit.record(
                "staff.suspension_lifted",
                actor_id=actor_id,
                ip=ip,
                object_type="staff_user",
                object_id=user_id,
            )


async def reset_two_factor(user_id: int, *, actor_id: int, ip: str) -> None:
    """Forget the person's authenticator and recovery codes; they enrol again at their next login,
    and their current sessions end."""
    async with write_transaction():
        await check_may_manage(actor_id, user_id)
        reset = (
            await StaffUser.update(
                {
                    StaffUser.totp_secret: None,
                    StaffUser.totp_last_step: None,
                    StaffUser.session_epoch: StaffUser.session_epoch + 1,
                }
            )
            .where(StaffUser.id == user_id)
            .returning(StaffUser.id)
        )
        if not reset:
            raise LookupError(user_id)
        await RecoveryCode.delete().where(RecoveryCode.user == user_id)
        await audit.record(
            "staff.two_factor_reset", actor_id=actor_id, ip=ip, object_type="staff_user", object_id=user_id
        )


async def change_password(user_id: int, *, current: str, new: str, ip: str) -> int:
    """Replace a person's own password after checking the current one; returns the new session epoch,
    since every other session of theirs ends."""
    row = (
        await StaffUser.select(StaffUser.email, StaffUser.name, StaffUser.password_hash)
        .where(StaffUser.id == user_id)
        .first()
    )
    if row is None:
        raise LookupError(user_id)
    if not (await passwords.verify_password(row["password_hash"], current)).valid:
        raise AccountRefused("Your current password is not right.")
    passwords.check_password_policy(new, email=row["email"], name=row["name"])
    new_hash = await passwords.hash_password(new)
    async with write_transaction():
        [updated] = (
            await StaffUser.update(
                {StaffUser.password_hash: new_hash, StaffUser.session_epoch: StaffUser.session_epoch + 1}
            )
            .where(StaffUser.id == user_id)
            .returning(StaffUser.session_epoch)
        )
        await audit.record(
            "staff.password_changed", actor_id=user_id, ip=ip, object_type="staff_user", object_id=user_id
        )
    return updated["session_epoch"]

"""Roles: the built-in ones, and the rules every role change obeys."""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.auth import audit
from boxoffice.auth.delegation import ADMIN, check_not_own_role, check_within, grantor, needs_two_factor
from boxoffice.auth.permissions import MENUS, Perm, deserialise, serialise
from boxoffice.auth.tables import Role, StaffUser
from boxoffice.db import write_transaction
from boxoffice.errors import Refused


@dataclass(frozen=True, slots=True)
class BuiltinRole:
    key: str
    name: str
    permissions: frozenset[Perm]
    requires_totp: bool


BUILTIN_ROLES = (
    BuiltinRole(ADMIN, "Admin", frozenset(menu.permission for menu in MENUS), requires_totp=True),
    BuiltinRole(
        "box_office_manager",
        "Box office manager",
        frozenset({Perm.BOX_OFFICE, Perm.EVENTS, Perm.REPORTS, Perm.CHECK_IN, Perm.CRM_CONTACTS}),
        requires_totp=True,
    ),
    BuiltinRole(
        "box_office_operator",
        "Box office operator",
        frozenset(
            {
                Perm.BOX_OFFICE_SELL,
                Perm.BOX_OFFICE_ORDERS,
                Perm.BOX_OFFICE_TILL,
                Perm.CHECK_IN,
                Perm.CRM_CONTACTS,
            }
        ),
        requires_totp=False,
    ),
    BuiltinRole("door_staff", "Door staff", frozenset({Perm.CHECK_IN}), requires_totp=False),
    BuiltinRole(
        "marketing",
        "Marketing",
        frozenset({Perm.MARKETING, Perm.CRM_CONTACTS, Perm.CRM_EXPORT, Perm.REPORTS}),
        requires_totp=True,
    ),
)


class RoleChangeRefused(Refused):
    """A change that would leave the venue without a working admin, or strip the Admin role."""


async def ensure_builtin_roles() -> None:
    """Create any missing built-in role. Edits to the others are kept; Admin always holds everything."""
    existing = {row["builtin"] for row in await Role.select(Role.builtin).where(Role.builtin.is_not_null())}
    for builtin in BUILTIN_ROLES:
        if builtin.key not in existing:
            await Role.insert(
                Role(
                    name=builtin.name,
                    permissions=serialise(builtin.permissions),
                    requires_totp=builtin.requires_totp,
                    builtin=builtin.key,
                )
            )
    admin = BUILTIN_ROLES[0]
    await Role.update({Role.permissions: serialise(admin.permissions), Role.requires_totp: True}).where(
        Role.builtin == ADMIN
    )


@dataclass(frozen=True, slots=True)
class RoleSummary:
    id: int
    name: str
    permissions: frozenset[Perm]
    requires_totp: bool
    builtin: str | None
    member_count: int

    @property
    def is_admin(self) -> bool:
        return self.builtin == ADMIN


async def list_roles() -> list[RoleSummary]:
    roles = await Role.select().order_by(Role.name)
    members = await StaffUser.select(StaffUser.role).where(StaffUser.active.eq(True))
    counts: dict[int, int] = {}
    for row in members:
        counts[row["role"]] = counts.get(row["role"], 0) + 1
    return [summary(row, counts.get(row["id"], 0)) for row in roles]


async def get_role(role_id: int) -> RoleSummary | None:
    row = await Role.select().where(Role.id == role_id).first()
    if row is None:
        return None
    members = await StaffUser.count().where((StaffUser.role == role_id) & StaffUser.active.eq(True))
    return summary(row, members)


def summary(row: dict, member_count: int) -> RoleSummary:
    return RoleSummary(
        id=row["id"],
        name=row["name"],
        permissions=deserialise(row["permissions"]),
        requires_totp=needs_two_factor(
            deserialise(row["permissions"]), required=row["requires_totp"], builtin=row["builtin"]
        ),
        builtin=row["builtin"],
        member_count=member_count,
    )


class RoleNameTaken(Refused):
    """Another role has that name."""


async def save_role(
    role_id: int | None,
    *,
    name: str,
    permissions: frozenset[Perm],
    requires_totp: bool,
    actor_id: int,
    ip: str,
) -> int:
    """Create a role (role_id None) or edit one, within what the actor may give (see `delegation`).
    The Admin role keeps every right and its two-factor rule, and a role that can manage staff requires
    two-factor sign-in; when a role's rights change its members must sign in again, so no session
    outlives what it allowed. Raises DelegationRefused."""
    async with write_transaction():
        actor = await grantor(actor_id)
        check_within(actor, permissions, admin_role=False)
        requires_totp = needs_two_factor(permissions, required=requires_totp, builtin=None)
        clash = Role.exists().where(Role.name == name)
        if role_id is not None:
            clash = clash.where(Role.id != role_id)
        if await clash:
            raise RoleNameTaken("A role with this name already exists.", field="name")
        if role_id is None:
            [inserted] = await Role.insert(
                Role(name=name, permissions=serialise(permissions), requires_totp=requires_totp)
            ).returning(Role.id)
            role_id = inserted["id"]
            action = "role.created"
        else:
            current = await get_role(role_id)
            if current is None:
                raise LookupError(role_id)
            check_not_own_role(actor, role_id)
            check_within(actor, current.permissions, admin_role=current.is_admin)
            if current.is_admin:
                permissions, requires_totp = BUILTIN_ROLES[0].permissions, True
            await Role.update(
                {Role.name: name, Role.permissions: serialise(permissions), Role.requires_totp: requires_totp}
            ).where(Role.id == role_id)
            if (permissions, requires_totp) != (current.permissions, current.requires_totp):
                await StaffUser.update({StaffUser.session_epoch: StaffUser.session_epoch + 1}).where(
                    StaffUser.role == role_id
                )
            action = "role.updated"
        await audit.record(
            action,
            actor_id=actor_id,
            ip=ip,
            object_type="role",
            object_id=role_id,
            detail={"name": name, "permissions": serialise(permissions), "requires_totp": requires_totp},
        )
    return role_id


async def admin_role_id() -> int:
    row = await Role.select(Role.id).where(Role.builtin == ADMIN).first()
    assert row is not None, "ensure_builtin_roles() runs at migration"
    return row["id"]

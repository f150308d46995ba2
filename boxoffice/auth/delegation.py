"""Who may give what. Managing staff is itself a right, so it must never be a way to more rights:

- nobody grants a right they do not hold: a role's rights, and the role given to an account, must lie
  within the actor's own, and so must the rights of a role or an account they change;
- only an admin creates, assigns or edits the Admin role, or changes an admin's account;
- nobody edits the role they are on, or changes the role of their own account;
- a role that can manage staff always requires two-factor sign-in;
- CRM > Privacy requests exports, corrects, restricts and removes contacts from a request, so it is
  given only by someone who also holds Contacts, Export and Remove (`CARRIES`);
- the Breach register e-mails any contact, whatever their consent, so only an admin gives it.

The Reports sub-menus (sales, capacity, attendance, audience, e-mail) follow the first rule like any
other right and need nothing more: only someone who holds a report may give it, so a box-office manager
(who holds Reports) may let an operator see capacity without seeing takings, and an operator can give
nobody the sales report. None of them names a person (the audience report counts buyers and postcode
districts, with small counts withheld), so holding one does not call for two-factor sign-in.

Events > Seating plans and Events > Seat kills follow the first rule and need nothing more: whoever holds
Events (which includes both) or the sub-right itself may give it. Neither reaches personal data or staff
management. They stand apart from Events, each with pages of its own, so that a venue can let a
technical manager draw plans, or a house manager keep seats off sale, without the right to change
events, schedules or prices; and so that drawing plans does not bring the right to take seats off sale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from boxoffice.auth.permissions import MENUS, Perm, deserialise, holds, parent_of
from boxoffice.auth.tables import StaffUser
from boxoffice.errors import Refused

ADMIN = "admin"  # the built-in role that holds everything

# Rights that reach what other menus guard: giving one means giving those too.
CARRIES: dict[Perm, tuple[Perm, ...]] = {
    Perm.CRM_PRIVACY_REQUESTS: (Perm.CRM_CONTACTS, Perm.CRM_EXPORT, Perm.CRM_REMOVE),
}
ADMIN_ONLY: frozenset[Perm] = frozenset({Perm.CRM_BREACHES})


def menu_label(permission: Perm) -> str:
    """The permission as the role form shows it, a sub-menu after its menu."""
    for top in MENUS:
        if top.permission == permission:
            return top.label
        for child in top.children:
            if child.permission == permission:
                return f"{top.label} › {child.label}"
    return permission.value


class DelegationRefused(Refused):
    """A change to roles or accounts beyond what the actor may give; the message says why."""


@dataclass(frozen=True, slots=True)
class Grantor:
    id: int
    role_id: int
    permissions: frozenset[Perm]
    is_admin: bool


async def grantor(actor_id: int) -> Grantor:
    """The acting staff member as the database knows them now: their role and its rights."""
    row = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.role,
            StaffUser.role.permissions.as_alias("permissions"),
            StaffUser.role.builtin.as_alias("builtin"),
        )
        .where((StaffUser.id == actor_id) & StaffUser.active.eq(True))
        .first()
    )
    if row is None:
        raise DelegationRefused("Only an active staff account may change staff.")
    return Grantor(row["id"], row["role"], deserialise(row["permissions"]), row["builtin"] == ADMIN)


def check_within(actor: Grantor, permissions: Iterable[Perm], *, admin_role: bool) -> None:
    """Refuse unless `actor` may give (or change something holding) `permissions`, or the Admin role."""
    if admin_role and not actor.is_admin:
        raise DelegationRefused("Only an admin may give or change the Admin role, or an admin's account.")
    permissions = set(permissions)
    if not actor.is_admin:
        admin_only = sorted(
            menu_label(key)
            for key in ADMIN_ONLY
            if any(key == given or parent_of(key) == given for given in permissions)
        )
        if admin_only:
            raise DelegationRefused("Only an admin may give or change: " + ", ".join(admin_only) + ".")
    carried = {needed for key in permissions for needed in carried_by(key)}
    beyond = sorted({menu_label(key) for key in permissions | carried if not holds(actor.permissions, key)})
    if beyond:
        raise DelegationRefused(
            "You can only give or change rights you hold yourself. You do not hold: "
            + ", ".join(beyond)
            + "."
        )


def may_give(granted: frozenset[Perm], permission: Perm, *, is_admin: bool) -> bool:
    """Whether someone holding `granted` may give `permission` (the role form greys out the others)."""
    try:
        check_within(Grantor(0, 0, granted, is_admin), [permission], admin_role=False)
    except DelegationRefused:
        return False
    return True


def carried_by(permission: Perm) -> tuple[Perm, ...]:
    """The rights that `permission` reaches besides its own menu (a top-level menu reaches its sub-menus')."""
    return tuple(
        needed
        for key, carried in CARRIES.items()
        if key == permission or parent_of(key) == permission
        for needed in carried
    )


def check_not_own_role(actor: Grantor, role_id: int) -> None:
    if role_id == actor.role_id:
        raise DelegationRefused("You cannot change the role you are on; ask someone else who may.")


def needs_two_factor(permissions: frozenset[Perm], *, required: bool, builtin: str | None) -> bool:
    """Whether members of a role must sign in with a second factor: when the role says so, always for
    the Admin role, and always for a role that can manage staff."""
    return required or builtin == ADMIN or holds(permissions, Perm.CRM_USERS_ROLES)

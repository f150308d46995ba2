"""CRM pages: Users & Roles, where admins manage staff accounts and the roles that say what each may open.

The rules (the last active admin, Admin's fixed rights, sessions ending on a change, auditing) live in
`auth.accounts` and `auth.roles`; these routes read the forms, call them and show what they answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth import accounts, passwords, roles
from boxoffice.auth.delegation import DelegationRefused
from boxoffice.auth.permissions import MENUS, Perm, holds, normalise
from boxoffice.db import LARGEST_ID, parse_id
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

USERS_AND_ROLES = {"permission": Perm.CRM_USERS_ROLES}
MAX_ROLE_NAME_LENGTH = 80
COPY_PREFIX = "Copy of "

PASSWORD_HELP = (
    f"At least {passwords.MIN_LENGTH} characters, not a common password, and not the person's e-mail "
    "address or name. A few unrelated words make a good one. Give it to them in person; they can change "
    "it under their account."
)

USER_NOTICES = {
    "created": "The account has been created.",
    "updated": "The account has been saved.",
    "suspension_lifted": "The suspension has been lifted; they can sign in again.",
    "two_factor_reset": "Two-factor sign-in has been reset. They will set up an authenticator at their "
    "next sign-in, and their sessions have ended.",
}
ROLE_NOTICES = {
    "created": "The role has been created.",
    "updated": "The role has been saved. Its members must sign in again.",
}


async def staff_or_404(user_id: int) -> accounts.StaffSummary:
    user = await accounts.get_staff(user_id) if 1 <= user_id <= LARGEST_ID else None
    if user is None:
        raise NotFoundException()
    return user


async def role_or_404(role_id: int) -> roles.RoleSummary:
    role = await roles.get_role(role_id) if 1 <= role_id <= LARGEST_ID else None
    if role is None:
        raise NotFoundException()
    return role


# Users


@dataclass
class NewUserForm:
    name: str = ""
    email: str = ""
    role: str = ""
    password: str = ""


@dataclass
class EditUserForm:
    name: str = ""
    email: str = ""
    role: str = ""
    active: str = ""


@get("/crm/users", name="crm.users", opt=USERS_AND_ROLES)
async def users(done: FromQuery[str] = "") -> Template:
    return Template(
        "crm/users.html", context={"users": await accounts.list_staff(), "notice": USER_NOTICES.get(done, "")}
    )


async def user_form_page(
    *,
    user: accounts.StaffSummary | None,
    values: dict[str, str | bool],
    errors: list[str] | None = None,
    password_error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Template:
    return Template(
        "crm/user_form.html",
        context={
            "user": user,
            "values": values,
            "roles": await roles.list_roles(),
            "errors": errors or [],
            "password_error": password_error,
            "password_help": PASSWORD_HELP,
            "notice": notice,
        },
        status_code=status_code,
    )


@get("/crm/users/new", name="crm.users.new", opt=USERS_AND_ROLES)
async def new_user() -> Template:
    return await user_form_page(user=None, values={"name": "", "email": "", "role": ""})


@post("/crm/users/new", name="crm.users.create", opt=USERS_AND_ROLES)
async def create_user(
    request: Request, acting: Acting, data: Annotated[NewUserForm, FORM]
) -> Template | Redirect:
    values: dict[str, str | bool] = {"name": data.name, "email": data.email, "role": data.role}
    try:
        await accounts.create_staff(
            email=data.email,
            name=data.name,
            password=data.password,
            role_id=parse_id(data.role) or 0,
            actor_id=acting.staff_id,
            ip=acting.ip,
        )
    except accounts.AccountRefused as refusal:
        return await user_form_page(user=None, values=values, errors=[str(refusal)], status_code=400)
    except DelegationRefused as refusal:
        return await user_form_page(user=None, values=values, errors=[str(refusal)], status_code=403)
    except passwords.PasswordRejected as rejection:
        return await user_form_page(
            user=None, values=values, errors=[str(rejection)], password_error=str(rejection), status_code=400
        )
    return Redirect(
        path=request.app.route_reverse("crm.users"), query_params={"done": "created"}, status_code=303
    )


def current_values(user: accounts.StaffSummary) -> dict[str, str | bool]:
    return {"name": user.name, "email": user.email, "role": str(user.role_id), "active": user.active}


@get("/crm/users/{user_id:int}", name="crm.users.edit", opt=USERS_AND_ROLES)
async def edit_user(user_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    user = await staff_or_404(user_id)
    return await user_form_page(user=user, values=current_values(user), notice=USER_NOTICES.get(done, ""))


@post("/crm/users/{user_id:int}", name="crm.users.update", opt=USERS_AND_ROLES)
async def update_user(
    request: Request, acting: Acting, user_id: FromPath[int], data: Annotated[EditUserForm, FORM]
) -> Template | Redirect:
    user = await staff_or_404(user_id)
    active = bool(data.active)
    try:
        await accounts.update_staff(
            user_id,
            name=data.name,
            email=data.email,
            role_id=parse_id(data.role) or 0,
            active=active,
            actor_id=acting.staff_id,
            ip=acting.ip,
        )
    except (accounts.AccountRefused, DelegationRefused) as refusal:
        values: dict[str, str | bool] = {
            "name": data.name,
            "email": data.email,
            "role": data.role,
            "active": active,
        }
        status = 403 if isinstance(refusal, DelegationRefused) else 400
        return await user_form_page(user=user, values=values, errors=[str(refusal)], status_code=status)
    except LookupError as missing:
        raise NotFoundException() from missing
    return Redirect(
        path=request.app.route_reverse("crm.users"), query_params={"done": "updated"}, status_code=303
    )


async def act_on_account(
    request: Request, acting: Acting, user_id: int, action: Callable[..., Awaitable[None]], done: str
) -> Template | Redirect:
    """Lift a suspension or reset two-factor sign-in: one service each, the same page either way."""
    user = await staff_or_404(user_id)
    try:
        await action(user_id, actor_id=acting.staff_id, ip=acting.ip)
    except DelegationRefused as refusal:
        values = current_values(user)
        return await user_form_page(user=user, values=values, errors=[str(refusal)], status_code=403)
    return Redirect(
        path=request.app.route_reverse("crm.users.edit", user_id=user_id),
        query_params={"done": done},
        status_code=303,
    )


@post("/crm/users/{user_id:int}/lift-suspension", name="crm.users.suspension", opt=USERS_AND_ROLES)
async def lift_suspension(request: Request, acting: Acting, user_id: FromPath[int]) -> Template | Redirect:
    return await act_on_account(request, acting, user_id, accounts.lift_suspension, "suspension_lifted")


@post("/crm/users/{user_id:int}/reset-two-factor", name="crm.users.two_factor", opt=USERS_AND_ROLES)
async def reset_two_factor(request: Request, acting: Acting, user_id: FromPath[int]) -> Template | Redirect:
    return await act_on_account(request, acting, user_id, accounts.reset_two_factor, "two_factor_reset")


# Roles


@dataclass(frozen=True, slots=True)
class RoleForm:
    """A role form as submitted: the name tidied, and only permission keys that exist."""

    name: str
    permissions: frozenset[Perm]
    requires_totp: bool

    @classmethod
    def from_form(cls, form: FormMultiDict) -> RoleForm:
        name = form.get("name", "")
        keys = [key for key in form.getall("permission", []) if isinstance(key, str)]
        return cls(
            name=" ".join(name.split()) if isinstance(name, str) else "",
            permissions=normalise(keys),
            requires_totp=bool(form.get("requires_totp")),
        )

    def problem(self) -> str:
        if not self.name:
            return "Enter a name for the role."
        if len(self.name) > MAX_ROLE_NAME_LENGTH:
            return f"Use at most {MAX_ROLE_NAME_LENGTH} characters for the name."
        return ""


def permission_tree(granted: frozenset[Perm]) -> list[dict]:
    """MENUS with whether each entry is ticked: a sub-menu is ticked when its top-level menu is."""
    return [
        {
            "key": top.permission.value,
            "perm": top.permission,
            "label": top.label,
            "checked": top.permission in granted,
            "children": [
                {
                    "key": child.permission.value,
                    "perm": child.permission,
                    "label": child.label,
                    "checked": holds(granted, child.permission),
                }
                for child in top.children
            ],
        }
        for top in MENUS
    ]


@get("/crm/roles", name="crm.roles", opt=USERS_AND_ROLES)
async def roles_list(done: FromQuery[str] = "") -> Template:
    return Template(
        "crm/roles.html", context={"roles": await roles.list_roles(), "notice": ROLE_NOTICES.get(done, "")}
    )


def role_form_page(
    *,
    role: roles.RoleSummary | None,
    name: str,
    permissions: frozenset[Perm],
    requires_totp: bool,
    copied_from: roles.RoleSummary | None = None,
    error: str = "",
    status_code: int = 200,
) -> Template:
    return Template(
        "crm/role_form.html",
        context={
            "role": role,
            "name": name,
            "tree": permission_tree(permissions),
            "requires_totp": requires_totp,
            "copied_from": copied_from,
            "errors": [error] if error else [],
            "max_name_length": MAX_ROLE_NAME_LENGTH,
        },
        status_code=status_code,
    )


@get("/crm/roles/new", name="crm.roles.new", opt=USERS_AND_ROLES)
async def new_role(copy: FromQuery[str] = "") -> Template:
    if not copy:
        return role_form_page(role=None, name="", permissions=frozenset(), requires_totp=False)
    source = await role_or_404(parse_id(copy) or 0)
    return role_form_page(
        role=None,
        name=(COPY_PREFIX + source.name)[:MAX_ROLE_NAME_LENGTH],
        permissions=source.permissions,
        requires_totp=source.requires_totp,
        copied_from=source,
    )


@post("/crm/roles/new", name="crm.roles.create", opt=USERS_AND_ROLES)
async def create_role(request: Request, acting: Acting) -> Template | Redirect:
    return await submit_role(request, acting, None)


@get("/crm/roles/{role_id:int}", name="crm.roles.edit", opt=USERS_AND_ROLES)
async def edit_role(role_id: FromPath[int]) -> Template:
    role = await role_or_404(role_id)
    return role_form_page(
        role=role, name=role.name, permissions=role.permissions, requires_totp=role.requires_totp
    )


@post("/crm/roles/{role_id:int}", name="crm.roles.update", opt=USERS_AND_ROLES)
async def update_role(request: Request, acting: Acting, role_id: FromPath[int]) -> Template | Redirect:
    return await submit_role(request, acting, await role_or_404(role_id))


async def submit_role(
    request: Request, acting: Acting, role: roles.RoleSummary | None
) -> Template | Redirect:
    """Check and save the role form, for a new role (None) or an existing one; the Admin role's rights
    stay as they are whatever was submitted."""
    submitted = RoleForm.from_form(await request.form())
    error, status_code = submitted.problem(), 400
    if not error:
        try:
            await roles.save_role(
                role.id if role else None,
                name=submitted.name,
                permissions=submitted.permissions,
                requires_totp=submitted.requires_totp,
                actor_id=acting.staff_id,
                ip=acting.ip,
            )
        except roles.RoleNameTaken as taken:
            error = str(taken)
        except DelegationRefused as refusal:
            error, status_code = str(refusal), 403
        except LookupError as missing:
            raise NotFoundException() from missing
    if error:
        admin_role = role if role is not None and role.is_admin else None
        return role_form_page(
            role=role,
            name=submitted.name,
            permissions=admin_role.permissions if admin_role else submitted.permissions,
            requires_totp=admin_role.requires_totp if admin_role else submitted.requires_totp,
            error=error,
            status_code=status_code,
        )
    return Redirect(
        path=request.app.route_reverse("crm.roles"),
        query_params={"done": "created" if role is None else "updated"},
        status_code=303,
    )


ROUTES = [
    users,
    new_user,
    create_user,
    edit_user,
    update_user,
    lift_suspension,
    reset_two_factor,
    roles_list,
    new_role,
    create_role,
    edit_role,
    update_role,
]

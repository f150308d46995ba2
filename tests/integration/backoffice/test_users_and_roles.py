"""Users & Roles through HTTP with the real app: what admins can change, what they cannot, and who may."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from boxoffice.app import create_app
from boxoffice.auth import roles
from boxoffice.auth.permissions import MENUS, Perm
from boxoffice.auth.tables import AuditEntry, RecoveryCode, Role, StaffUser
from boxoffice.config import get_settings
from tests.support import staff as support
from tests.support.staff import make_staff, post_form, role_id, sign_in

NEW_PASSWORD = "lantern orchard velvet canal"
LOGIN_PAGE = "/backoffice/login"


@pytest.fixture
async def other_client(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser on the same app and database, for the person whose account is being changed."""
    transport = httpx.ASGITransport(app=create_app(get_settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http_client:
        yield http_client


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> support.TestStaff:
    staff = await make_staff("admin", name="Ada Admin")
    await sign_in(client, staff)
    return staff


async def actions_by(actor: support.TestStaff) -> list[str]:
    rows = (
        await AuditEntry.select(AuditEntry.action).where(AuditEntry.actor == actor.id).order_by(AuditEntry.id)
    )
    return [row["action"] for row in rows]


async def staff_row(staff: support.TestStaff) -> dict:
    row = await StaffUser.select().where(StaffUser.id == staff.id).first()
    assert row is not None
    return row


async def role_named(name: str) -> roles.RoleSummary | None:
    row = await Role.select(Role.id).where(Role.name == name).first()
    return await roles.get_role(row["id"]) if row else None


def is_checked(page: str, key: str) -> bool:
    found = re.search(rf'<input id="perm-{re.escape(key)}"[^>]*>', page)
    assert found, key
    return " checked" in found.group(0)


async def edit_form(staff: support.TestStaff, **changes: str) -> dict[str, str]:
    row = await staff_row(staff)
    form = {"name": row["name"], "email": row["email"], "role": str(row["role"]), "active": "yes"}
    return {key: value for key, value in {**form, **changes}.items() if value is not None}


# Users


async def test_an_admin_creates_a_door_staff_user_who_can_then_sign_in(client, admin, other_client):
    door = await role_id("door_staff")
    response = await post_form(
        client,
        "/crm/users/new",
        {"name": "Dora Door", "email": "Dora@Venue.example", "role": str(door), "password": NEW_PASSWORD},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/crm/users?done=created"

    row = await StaffUser.select().where(StaffUser.email == "dora@venue.example").first()
    assert row is not None and row["role"] == door and row["name"] == "Dora Door"
    listing = await client.get("/crm/users")
    assert listing.status_code == 200
    assert re.search(r"Dora Door</a></td>\s*<td>dora@venue.example</td>\s*<td>Door staff</td>", listing.text)
    assert "staff.created" in await actions_by(admin)

    await sign_in(other_client, support.TestStaff(row["id"], "dora@venue.example", NEW_PASSWORD, None))
    assert (await other_client.get("/backoffice/checkin")).status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "too short"}, "Use at least 12 characters."),
        ({"password": "password1234"}, "This password is too common; choose another."),
        ({"email": "not an address"}, "Enter an e-mail address such as name@example.org."),
        ({"name": "   "}, "Enter the person&#39;s name."),
        ({"role": ""}, "Choose a role."),
        ({"role": "99999999999999"}, "Choose a role."),
        ({"email": "door.staff@venue.example"}, "A staff account with this e-mail address already exists."),
    ],
)
async def test_a_refused_new_user_re_renders_with_the_reason_and_creates_nothing(
    client, admin, changes, message
):
    await make_staff("door_staff", enrolled=False)
    accounts_before = await StaffUser.count()
    form = {
        "name": "Nina New",
        "email": "nina@venue.example",
        "role": str(await role_id("door_staff")),
        "password": NEW_PASSWORD,
    }
    response = await post_form(client, "/crm/users/new", {**form, **changes})
    assert response.status_code == 400
    assert message in response.text
    assert 'name="email"' in response.text  # the form is shown again
    assert await StaffUser.count() == accounts_before
    assert "staff.created" not in await actions_by(admin)


async def test_the_user_list_shows_role_status_and_two_factor(client, admin):
    suspended = await make_staff(
        "door_staff", email="sue@venue.example", name="Sue Suspended", enrolled=False
    )
    gone = await make_staff("marketing", email="gone@venue.example", name="Gus Gone", enrolled=True)
    await StaffUser.update({StaffUser.suspended: True}).where(StaffUser.id == suspended.id)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == gone.id)
    listing = (await client.get("/crm/users")).text
    rows = {
        name: row
        for name, row in re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>(.*?)</tr>", listing, re.S)
    }
    assert re.search(
        r"Door staff</td>\s*<td>Suspended</td>\s*<td>Off</td>\s*<td>Never", rows["Sue Suspended"]
    )
    assert re.search(r"Marketing</td>\s*<td>Deactivated</td>\s*<td>On</td>", rows["Gus Gone"])
    assert re.search(r"Admin</td>\s*<td>Active</td>\s*<td>On</td>\s*<td><time", rows["Ada Admin"])


async def test_changing_a_users_role_ends_their_session(client, admin, other_client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(other_client, door)
    assert (await other_client.get("/backoffice/checkin")).status_code == 200

    operator = await role_id("box_office_operator")
    path = f"/crm/users/{door.id}"
    response = await post_form(client, path, await edit_form(door, role=str(operator)))
    assert response.status_code == 303, response.text

    assert (await staff_row(door))["role"] == operator
    after = await other_client.get("/backoffice/checkin")
    assert after.status_code == 303
    assert after.headers["location"].startswith(LOGIN_PAGE)
    assert "staff.updated" in await actions_by(admin)


async def test_a_name_change_alone_keeps_the_persons_session(client, admin, other_client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(other_client, door)
    response = await post_form(client, f"/crm/users/{door.id}", await edit_form(door, name="Dee Door"))
    assert response.status_code == 303, response.text
    assert (await staff_row(door))["name"] == "Dee Door"
    assert (await other_client.get("/backoffice/checkin")).status_code == 200


async def test_deactivating_a_user_ends_their_session_and_their_sign_ins(client, admin, other_client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(other_client, door)
    response = await post_form(client, f"/crm/users/{door.id}", await edit_form(door, active=None))
    assert response.status_code == 303, response.text

    assert (await staff_row(door))["active"] is False
    after = await other_client.get("/backoffice/checkin")
    assert after.status_code == 303 and after.headers["location"].startswith(LOGIN_PAGE)
    assert "staff.deactivated" in await actions_by(admin)
    listing = (await client.get("/crm/users")).text
    assert re.search(r"Door staff</td>\s*<td>Deactivated</td>", listing)


@pytest.mark.parametrize("change", [{"role": "door_staff"}, {"active": None}])
async def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(client, admin, change):
    if "role" in change:
        change = {"role": str(await role_id("door_staff"))}
    before = await staff_row(admin)
    response = await post_form(client, f"/crm/users/{admin.id}", await edit_form(admin, **change))
    assert response.status_code == 400
    assert "This is the last active admin: make someone else an admin first." in response.text
    assert await staff_row(admin) == before
    assert "staff.updated" not in await actions_by(admin)
    assert "staff.deactivated" not in await actions_by(admin)
    assert (await client.get("/crm/users")).status_code == 200  # still signed in


async def test_an_admin_can_be_demoted_while_another_admin_remains(client, admin):
    other = await make_staff("admin", email="second.admin@venue.example", name="Second Admin")
    response = await post_form(
        client, f"/crm/users/{other.id}", await edit_form(other, role=str(await role_id("marketing")))
    )
    assert response.status_code == 303, response.text
    assert (await staff_row(other))["role"] == await role_id("marketing")


async def test_an_edit_with_a_taken_e_mail_is_refused_and_changes_nothing(client, admin):
    door = await make_staff("door_staff", enrolled=False)
    before = await staff_row(door)
    response = await post_form(
        client, f"/crm/users/{door.id}", await edit_form(door, email=admin.email, name="Changed Name")
    )
    assert response.status_code == 400
    assert "A staff account with this e-mail address already exists." in response.text
    assert await staff_row(door) == before


async def test_lifting_a_suspension_lets_the_person_sign_in_again(client, admin, other_client):
    door = await make_staff("door_staff", enrolled=False)
    await StaffUser.update({StaffUser.suspended: True, StaffUser.failed_attempts: 10}).where(
        StaffUser.id == door.id
    )
    page = await client.get(f"/crm/users/{door.id}")
    assert "Lift the suspension</button>" in page.text

    response = await post_form(
        client, f"/crm/users/{door.id}/lift-suspension", {}, form_page=f"/crm/users/{door.id}"
    )
    assert response.status_code == 303
    row = await staff_row(door)
    assert row["suspended"] is False and row["failed_attempts"] == 0
    assert "staff.suspension_lifted" in await actions_by(admin)
    assert "Lift the suspension</button>" not in (await client.get(response.headers["location"])).text
    await sign_in(other_client, door)


async def test_resetting_two_factor_forgets_the_authenticator_and_ends_sessions(client, admin, other_client):
    manager = await make_staff("box_office_manager", enrolled=True)
    await sign_in(other_client, manager)
    await RecoveryCode.insert(RecoveryCode(user=manager.id, digest="0" * 64))
    page = await client.get(f"/crm/users/{manager.id}")
    assert "<summary>Reset two-factor sign-in</summary>" in page.text

    response = await post_form(
        client, f"/crm/users/{manager.id}/reset-two-factor", {}, form_page=f"/crm/users/{manager.id}"
    )
    assert response.status_code == 303
    row = await staff_row(manager)
    assert row["totp_secret"] is None and row["totp_last_step"] is None
    assert await RecoveryCode.count().where(RecoveryCode.user == manager.id) == 0
    assert "staff.two_factor_reset" in await actions_by(admin)
    after = await other_client.get("/backoffice/")
    assert after.status_code == 303 and after.headers["location"].startswith(LOGIN_PAGE)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/crm/users/999"),
        ("GET", "/crm/users/99999999999"),
        ("POST", "/crm/users/999"),
        ("POST", "/crm/users/999/lift-suspension"),
        ("POST", "/crm/users/999/reset-two-factor"),
        ("GET", "/crm/roles/999"),
        ("GET", "/crm/roles/99999999999"),
        ("POST", "/crm/roles/999"),
        ("GET", "/crm/roles/new?copy=999"),
        ("GET", "/crm/roles/new?copy=nonsense"),
    ],
)
async def test_unknown_ids_answer_not_found(client, admin, method, path):
    audited = len(await actions_by(admin))
    if method == "GET":
        response = await client.get(path)
    else:
        form = {"name": "X Person", "email": "x@venue.example", "role": "1", "active": "yes"}
        response = await post_form(client, path, form, form_page="/crm/users")
    assert response.status_code == 404
    assert len(await actions_by(admin)) == audited


# Roles


async def test_the_roles_list_shows_members_built_in_and_two_factor(client, admin):
    await make_staff("door_staff", enrolled=False)
    listing = (await client.get("/crm/roles")).text
    door = await role_id("door_staff")
    assert re.search(
        rf"Door staff</a></td>\s*<td>1</td>\s*<td>Built-in</td>\s*<td>No</td>\s*"
        rf'<td><a href="/crm/roles/new\?copy={door}"',
        listing,
    )
    assert re.search(r"Admin</a></td>\s*<td>1</td>\s*<td>Built-in</td>\s*<td>Yes</td>", listing)


async def test_a_new_role_with_a_top_level_menu_ticked_holds_all_its_sub_menus(client, admin):
    form = {"name": "Front of house", "permission": ["crm", "crm.export", "boxoffice.sell", "no.such.menu"]}
    response = await post_form(client, "/crm/roles/new", form)
    assert response.status_code == 303, response.text

    role = await role_named("Front of house")
    assert role is not None and role.builtin is None
    assert role.permissions == {Perm.CRM, Perm.BOX_OFFICE_SELL}
    assert role.requires_totp is True  # CRM holds Users & Roles: managing staff needs a second factor
    assert "role.created" in await actions_by(admin)

    page = (await client.get(f"/crm/roles/{role.id}")).text
    crm = next(menu for menu in MENUS if menu.permission == Perm.CRM)
    assert all(is_checked(page, child.permission.value) for child in crm.children)
    assert is_checked(page, "boxoffice.sell") and not is_checked(page, "boxoffice")
    assert not is_checked(page, "boxoffice.refunds")


async def test_editing_a_role_changes_its_rights_and_two_factor_rule(client, admin):
    door = await role_id("door_staff")
    form = {"name": "Door team", "permission": ["checkin", "reports"], "requires_totp": "yes"}
    response = await post_form(client, f"/crm/roles/{door}", form)
    assert response.status_code == 303, response.text
    role = await roles.get_role(door)
    assert role is not None
    assert (role.name, role.permissions, role.requires_totp) == (
        "Door team",
        {Perm.CHECK_IN, Perm.REPORTS},
        True,
    )
    assert "role.updated" in await actions_by(admin)


async def test_copying_a_built_in_role_prefills_its_rights_and_leaves_it_alone(client, admin):
    marketing = await roles.get_role(await role_id("marketing"))
    assert marketing is not None
    page = await client.get(f"/crm/roles/new?copy={marketing.id}")
    assert page.status_code == 200
    assert 'value="Copy of Marketing"' in page.text
    assert is_checked(page.text, "marketing") and is_checked(page.text, "crm.export")
    assert not is_checked(page.text, "crm") and not is_checked(page.text, "boxoffice")
    assert re.search(r'name="requires_totp" [^>]*checked', page.text)

    submitted = {
        "name": "Copy of Marketing",
        "permission": sorted(key.value for key in marketing.permissions),
        "requires_totp": "yes",
    }
    response = await post_form(client, "/crm/roles/new", submitted)
    assert response.status_code == 303, response.text
    copy = await role_named("Copy of Marketing")
    assert copy is not None and copy.builtin is None and copy.id != marketing.id
    assert (copy.permissions, copy.requires_totp) == (marketing.permissions, True)
    assert await roles.get_role(marketing.id) == marketing


async def test_the_admin_role_shows_its_rights_as_fixed(client, admin):
    page = (await client.get(f"/crm/roles/{await role_id('admin')}")).text
    assert "Admin always holds every right and always requires two-factor sign-in" in page
    assert re.search(r'<fieldset class="permission-tree" disabled', page)
    assert re.search(r'name="requires_totp" [^>]*checked disabled', page)
    assert all(is_checked(page, menu.permission.value) for menu in MENUS)


async def test_a_crafted_post_cannot_change_the_admin_role(client, admin):
    admin_role = await role_id("admin")
    response = await post_form(
        client, f"/crm/roles/{admin_role}", {"name": "Administrators", "permission": ["checkin"]}
    )
    assert response.status_code == 403
    assert "You cannot change the role you are on" in response.text
    role = await roles.get_role(admin_role)
    assert role is not None
    assert role.name == "Admin"
    assert role.permissions == {menu.permission for menu in MENUS}
    assert (await Role.select(Role.requires_totp).where(Role.id == admin_role).first())[
        "requires_totp"
    ] is True


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name for the role."),
        ("   ", "Enter a name for the role."),
        ("x" * 81, "Use at most 80 characters for the name."),
        ("Door staff", "A role with this name already exists."),
    ],
)
async def test_a_refused_role_name_re_renders_with_the_reason_and_saves_nothing(client, admin, name, message):
    roles_before = await Role.select().order_by(Role.id)
    response = await post_form(client, "/crm/roles/new", {"name": name, "permission": ["reports"]})
    assert response.status_code == 400
    assert message in response.text
    assert is_checked(response.text, "reports")  # what was ticked is kept

    marketing = await role_id("marketing")
    response = await post_form(client, f"/crm/roles/{marketing}", {"name": name, "permission": ["reports"]})
    assert response.status_code == 400
    assert message in response.text
    assert await Role.select().order_by(Role.id) == roles_before
    assert not {"role.created", "role.updated"} & set(await actions_by(admin))


# Who may


def test_every_users_and_roles_route_is_named_and_needs_the_users_and_roles_permission():
    app = create_app(get_settings())
    handlers = [
        handler
        for route in app.routes
        if route.path.startswith("/crm/users") or route.path.startswith("/crm/roles")
        for handler in route.route_handlers
        if handler.http_methods != {"OPTIONS"}  # Litestar's own answer to OPTIONS
    ]
    assert {handler.name for handler in handlers} >= {
        "crm.users",
        "crm.roles",
        "crm.users.edit",
        "crm.roles.edit",
    }
    for handler in handlers:
        assert handler.name.startswith("crm."), handler
        assert handler.opt.get("permission") == Perm.CRM_USERS_ROLES, handler.name


CRM_PAGES = ["/crm/users", "/crm/users/new", "/crm/roles", "/crm/roles/new"]


async def test_door_staff_cannot_open_users_and_roles(client):
    door = await make_staff("door_staff", enrolled=False)
    await sign_in(client, door)
    navigation = (await client.get("/backoffice/checkin")).text
    assert "/crm/users" not in navigation
    for path in [*CRM_PAGES, f"/crm/users/{door.id}", f"/crm/roles/{await role_id('door_staff')}"]:
        assert (await client.get(path)).status_code == 403, path

    door_role = await role_id("door_staff")
    attempts = {
        "/crm/users/new": {
            "name": "Eve",
            "email": "eve@venue.example",
            "role": str(door_role),
            "password": NEW_PASSWORD,
        },
        f"/crm/users/{door.id}": {
            "name": "Door",
            "email": door.email,
            "role": str(await role_id("admin")),
            "active": "yes",
        },
        f"/crm/users/{door.id}/lift-suspension": {},
        f"/crm/users/{door.id}/reset-two-factor": {},
        "/crm/roles/new": {"name": "Mine", "permission": ["crm"]},
        f"/crm/roles/{door_role}": {"name": "Door staff", "permission": ["crm"]},
    }
    for path, form in attempts.items():
        response = await post_form(client, path, form, form_page="/backoffice/checkin")
        assert response.status_code == 403, path
    assert (await staff_row(door))["role"] == door_role
    assert await StaffUser.count() == 1
    door_rights = await roles.get_role(door_role)
    assert door_rights is not None and door_rights.permissions == {Perm.CHECK_IN}


async def test_visitors_who_are_not_signed_in_are_sent_to_the_login_page(client):
    for path in CRM_PAGES:
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith(LOGIN_PAGE), path


async def test_an_admin_sees_users_and_roles_in_the_navigation(client, admin):
    page = await client.get("/backoffice/")
    assert page.status_code == 200
    assert '<a href="/crm/users">Users &amp; Roles</a>' in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/crm/users/new",
        "/crm/users/{user}",
        "/crm/users/{user}/lift-suspension",
        "/crm/users/{user}/reset-two-factor",
        "/crm/roles/new",
        "/crm/roles/{role}",
    ],
)
async def test_every_post_without_the_csrf_token_is_refused_and_changes_nothing(client, admin, path):
    target = await make_staff("box_office_manager", enrolled=True)
    await StaffUser.update({StaffUser.suspended: True}).where(StaffUser.id == target.id)
    role = await role_id("marketing")
    form = {
        "name": "Changed",
        "email": "changed@venue.example",
        "role": str(await role_id("door_staff")),
        "active": "",
        "password": NEW_PASSWORD,
        "permission": ["crm"],
    }
    staff_before = await StaffUser.select().order_by(StaffUser.id)
    roles_before = await Role.select().order_by(Role.id)
    audit_before = await AuditEntry.count()

    response = await client.post(path.format(user=target.id, role=role), data=form)
    assert response.status_code == 403
    assert await StaffUser.select().order_by(StaffUser.id) == staff_before
    assert await Role.select().order_by(Role.id) == roles_before
    assert await AuditEntry.count() == audit_before

"""Who may give what, tried as a matrix of acting role, target role and action through the real pages:
nobody grants a right they do not hold, only an admin gives or changes the Admin role, nobody edits the
role they are on, and a role that can manage staff requires two-factor sign-in. A refusal changes nothing."""

from __future__ import annotations

import re

import pytest

from boxoffice.auth.permissions import Perm, holds, serialise
from boxoffice.auth.roles import BUILTIN_ROLES
from boxoffice.auth.tables import Role, StaffUser
from tests.support.staff import PASSWORD, make_staff, make_staff_on, post_form, role_id, sign_in

EVERYTHING = BUILTIN_ROLES[0].permissions
# Roles made for the matrix, by name: their rights.
CUSTOM_ROLES = {
    "Staff managers": frozenset({Perm.CRM_USERS_ROLES}),
    "CRM managers": frozenset({Perm.CRM_USERS_ROLES, Perm.CRM_CONTACTS, Perm.CRM_TAGS}),
    "Contacts and tags": frozenset({Perm.CRM_CONTACTS, Perm.CRM_TAGS}),
    "Newcomers": frozenset(),
}
BUILTIN = {role.name: role.permissions for role in BUILTIN_ROLES}
ACTORS = ["Admin", "Staff managers", "CRM managers", "Box office manager"]
TARGETS = ["Admin", "Door staff", "Contacts and tags", "Staff managers", "own"]
ACTIONS = ["create account", "change account's role", "edit role", "create role like it"]


def rights(role: str) -> frozenset[Perm]:
    return CUSTOM_ROLES.get(role, BUILTIN.get(role, frozenset()))


def allowed(actor: str, target: str, action: str) -> bool:
    """The rule, written out: what the pages must allow."""
    target = actor if target == "own" else target
    if not holds(rights(actor), Perm.CRM_USERS_ROLES):
        return False
    within = all(holds(rights(actor), key) for key in rights(target))
    admin_only = target == "Admin" and actor != "Admin"
    if action == "edit role":
        return within and not admin_only and target != actor
    if action == "create role like it":
        return within
    return within and not admin_only


async def roles_and_accounts() -> tuple[list[dict], list[dict]]:
    return (
        await Role.select(Role.id, Role.name, Role.permissions, Role.requires_totp).order_by(Role.id),
        await StaffUser.select(StaffUser.id, StaffUser.email, StaffUser.role).order_by(StaffUser.id),
    )


async def perform(client, action: str, target_role: int, target_rights: frozenset[Perm]):
    if action == "create account":
        return await post_form(
            client,
            "/crm/users/new",
            {"name": "Nia New", "email": "nia@venue.example", "role": str(target_role), "password": PASSWORD},
            form_page="/backoffice/",
        )
    if action == "change account's role":
        newcomer = (
            await StaffUser.select(StaffUser.id).where(StaffUser.email == "newcomer@venue.example").first()
        )
        return await post_form(
            client,
            f"/crm/users/{newcomer['id']}",
            {
                "name": "Ned Newcomer",
                "email": "newcomer@venue.example",
                "role": str(target_role),
                "active": "yes",
            },
            form_page="/backoffice/",
        )
    form = {"permission": [key.value for key in target_rights], "requires_totp": "yes"}
    if action == "edit role":
        return await post_form(
            client, f"/crm/roles/{target_role}", {"name": "Renamed role", **form}, form_page="/backoffice/"
        )
    return await post_form(client, "/crm/roles/new", {"name": "Lookalike", **form}, form_page="/backoffice/")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("actor", ACTORS)
async def test_nobody_gives_more_than_they_hold(client, actor, target, action):
    ids = {}
    for name, granted in CUSTOM_ROLES.items():
        role = Role(name=name, permissions=serialise(granted), requires_totp=True)
        await role.save()
        ids[name] = role.id
    for builtin in BUILTIN_ROLES:
        ids[builtin.name] = await role_id(builtin.key)
    await make_staff_on(ids["Newcomers"], email="newcomer@venue.example", name="Ned Newcomer")
    await sign_in(client, await make_staff_on(ids[actor], email="actor@venue.example"))
    target_name = actor if target == "own" else target
    before = await roles_and_accounts()

    response = await perform(client, action, ids[target_name], rights(target_name))

    if allowed(actor, target, action):
        assert response.status_code == 303, response.text
        assert await roles_and_accounts() != before
    else:
        assert response.status_code == 403
        assert await roles_and_accounts() == before


def test_the_matrix_allows_and_refuses_something_for_every_action():
    for action in ACTIONS:
        outcomes = {allowed(actor, target, action) for actor in ACTORS for target in TARGETS}
        assert outcomes == {True, False}, action


async def test_a_role_that_can_manage_staff_requires_two_factor_whatever_the_form_said(client):
    await sign_in(client, await make_staff("admin"))

    response = await post_form(
        client,
        "/crm/roles/new",
        {"name": "Hiring", "permission": ["crm.users_roles"]},
        form_page="/backoffice/",
    )

    assert response.status_code == 303
    assert (await Role.select(Role.requires_totp).where(Role.name == "Hiring").first())[
        "requires_totp"
    ] is True


async def test_a_member_of_an_older_staff_managing_role_without_two_factor_must_enrol(client):
    legacy = Role(name="Legacy hiring", permissions=serialise([Perm.CRM_USERS_ROLES]), requires_totp=False)
    await legacy.save()
    member = await make_staff_on(legacy.id, email="legacy@venue.example", enrolled=False)

    response = await post_form(
        client, "/backoffice/login", {"email": member.email, "password": member.password}
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/backoffice/login/enrol"


@pytest.mark.parametrize("action", ["reset-two-factor", "lift-suspension"])
async def test_nobody_resets_or_unlocks_an_account_holding_more_than_they_do(client, action):
    managers = Role(name="Staff managers", permissions=serialise([Perm.CRM_USERS_ROLES]), requires_totp=True)
    await managers.save()
    admin = await make_staff("admin")
    await StaffUser.update({StaffUser.suspended: True}).where(StaffUser.id == admin.id)
    await sign_in(client, await make_staff_on(managers.id, email="manager@venue.example"))
    before = await StaffUser.select().where(StaffUser.id == admin.id).first()

    response = await post_form(client, f"/crm/users/{admin.id}/{action}", {}, form_page="/backoffice/")

    assert response.status_code == 403
    assert "Only an admin may give or change the Admin role, or an admin&#39;s account." in response.text
    assert await StaffUser.select().where(StaffUser.id == admin.id).first() == before


async def test_the_role_form_offers_only_what_the_actor_may_give_and_not_their_own_role(client):
    crm_managers = Role(
        name="CRM managers",
        permissions=serialise([Perm.CRM_USERS_ROLES, Perm.CRM_CONTACTS, Perm.CRM_TAGS]),
        requires_totp=True,
    )
    await crm_managers.save()
    await sign_in(client, await make_staff_on(crm_managers.id, email="crm.manager@venue.example"))

    new_role = (await client.get("/crm/roles/new")).text

    assert "You can give only the menus you hold yourself" in new_role
    for key in ("crm.contacts", "crm.tags", "crm.users_roles"):
        assert re.search(rf'id="perm-{re.escape(key)}"[^>]*>', new_role).group(0).count("disabled") == 0
    for key in ("crm", "crm.export", "boxoffice", "settings.security"):
        assert 'disabled aria-describedby="grantable"' in re.search(
            rf'id="perm-{re.escape(key)}"[^>]*>', new_role
        ).group(0)
    own = (await client.get(f"/crm/roles/{crm_managers.id}")).text
    assert "You are on this role, so someone else who may must change it." in own
    assert "Save changes" not in own

"""Events > Seating plans and Events > Seat kills are given like any sub-right: by whoever holds it or
Events itself, never by someone holding only the other one."""

from __future__ import annotations

import pytest

from boxoffice.auth.delegation import DelegationRefused, Grantor, check_within
from boxoffice.auth.permissions import Perm, holds, visible_menus


def actor(*permissions: Perm) -> Grantor:
    return Grantor(
        id=1, role_id=1, permissions=frozenset({Perm.CRM_USERS_ROLES, *permissions}), is_admin=False
    )


def test_holding_events_gives_both_seating_rights():
    check_within(actor(Perm.EVENTS), [Perm.EVENTS_SEATING_PLANS, Perm.EVENTS_SEAT_KILLS], admin_role=False)


def test_a_plan_editor_cannot_give_seat_kills():
    planner = actor(Perm.EVENTS_SEATING_PLANS)
    check_within(planner, [Perm.EVENTS_SEATING_PLANS], admin_role=False)

    with pytest.raises(DelegationRefused, match=r"You do not hold: Events › Seat kills\."):
        check_within(planner, [Perm.EVENTS_SEAT_KILLS], admin_role=False)


def test_seating_plans_and_seat_kills_are_menu_entries_under_events():
    menus = {
        top.label: [child.label for child in children]
        for top, children in visible_menus(frozenset({Perm.EVENTS}))
    }

    assert menus == {"Events": ["Seating plans", "Seat kills"]}
    assert not holds(frozenset({Perm.EVENTS_SEATING_PLANS}), Perm.EVENTS_SEAT_KILLS)
    [(top, children)] = visible_menus(frozenset({Perm.EVENTS_SEAT_KILLS}))
    assert (top.label, [child.label for child in children]) == ("Events", ["Seat kills"])

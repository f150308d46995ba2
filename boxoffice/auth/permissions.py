"""One vocabulary of permissions, shaped like the staff menus.

Every staff route names one of these keys (`opt={"permission": Perm.X}`) and one guard enforces it; the
navigation is built from the same tree, so what staff see and what the server allows cannot drift apart.
A role holding a top-level key holds all of its sub-menus.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Perm(StrEnum):
    SIGNED_IN = "signed_in"  # any signed-in staff member: the dashboard, their own account
    PUBLIC = "public"  # the login pages themselves

    BOX_OFFICE = "boxoffice"
    BOX_OFFICE_SELL = "boxoffice.sell"
    BOX_OFFICE_ORDERS = "boxoffice.orders"
    BOX_OFFICE_REFUNDS = "boxoffice.refunds"  # refunds, cancellations and exchanges that refund
    BOX_OFFICE_COMPS = "boxoffice.comps"  # giving tickets away (complimentary)
    BOX_OFFICE_TILL = "boxoffice.till"
    CRM = "crm"
    CRM_CONTACTS = "crm.contacts"
    CRM_EXPORT = "crm.export"
    CRM_REMOVE = "crm.remove"
    CRM_TAGS = "crm.tags"
    CRM_DUPLICATES = "crm.duplicates"
    CRM_PRIVACY_REQUESTS = "crm.privacy_requests"  # acts on requests: exports, corrects, removes
    CRM_BREACHES = "crm.breaches"  # e-mails any contact a breach notice, consent or not
    CRM_USERS_ROLES = "crm.users_roles"
    MARKETING = "marketing"
    MARKETING_CAMPAIGNS = "marketing.campaigns"
    MARKETING_SETTINGS = "marketing.settings"
    MARKETING_CONSENT = "marketing.consent"
    MARKETING_PROCESSING = "marketing.processing"
    EVENTS = "events"
    EVENTS_SEATING_PLANS = "events.seating_plans"  # venues' seating plans: sections, seats, zones
    EVENTS_SEAT_KILLS = "events.seat_kills"  # keeping a performance's seats off sale, and releasing them
    REPORTS = "reports"
    REPORTS_SALES = "reports.sales"  # money: takings, refunds, net; the dashboard's takings too
    REPORTS_CAPACITY = "reports.capacity"
    REPORTS_ATTENDANCE = "reports.attendance"
    REPORTS_AUDIENCE = "reports.audience"  # counts of buyers and postcode districts, never names
    REPORTS_EMAIL = "reports.email"
    SETTINGS = "settings"
    SETTINGS_STOREFRONT = "settings.storefront"
    SETTINGS_SECURITY = "settings.security"
    SETTINGS_EMAIL_LOG = "settings.email_log"
    CHECK_IN = "checkin"
    AUDIT_LOG = "audit"


@dataclass(frozen=True, slots=True)
class Menu:
    """A menu entry. `route` names the page it opens, once that page exists."""

    permission: Perm
    label: str
    route: str | None = None
    children: tuple[Menu, ...] = field(default_factory=tuple)


MENUS: tuple[Menu, ...] = (
    Menu(
        Perm.BOX_OFFICE,
        "Box office",
        children=(
            Menu(Perm.BOX_OFFICE_SELL, "Sell", route="backoffice.sell"),
            Menu(Perm.BOX_OFFICE_ORDERS, "Orders", route="backoffice.orders"),
            Menu(Perm.BOX_OFFICE_REFUNDS, "Refunds & cancellations"),
            Menu(Perm.BOX_OFFICE_COMPS, "Complimentary tickets"),
            Menu(Perm.BOX_OFFICE_TILL, "Till summary", route="backoffice.till"),
        ),
    ),
    Menu(
        Perm.CRM,
        "CRM",
        children=(
            Menu(Perm.CRM_CONTACTS, "Contacts", route="crm.contacts"),
            Menu(Perm.CRM_EXPORT, "Export", route="crm.export"),
            Menu(Perm.CRM_REMOVE, "Remove", route="crm.removals"),
            Menu(Perm.CRM_TAGS, "Tags", route="crm.tags"),
            Menu(Perm.CRM_DUPLICATES, "Duplicates", route="crm.duplicates"),
            Menu(Perm.CRM_PRIVACY_REQUESTS, "Privacy requests", route="crm.privacy_requests"),
            Menu(Perm.CRM_BREACHES, "Breach register", route="crm.breaches"),
            Menu(Perm.CRM_USERS_ROLES, "Users & Roles", route="crm.users"),
        ),
    ),
    Menu(
        Perm.MARKETING,
        "Marketing",
        children=(
            Menu(Perm.MARKETING_CAMPAIGNS, "Campaigns", route="marketing.campaigns"),
            Menu(Perm.MARKETING_CONSENT, "Consent report", route="marketing.consent"),
            Menu(Perm.MARKETING_PROCESSING, "Records of processing", route="marketing.processing"),
            Menu(Perm.MARKETING_SETTINGS, "Settings", route="marketing.settings"),
        ),
    ),
    Menu(
        Perm.EVENTS,
        "Events",
        route="backoffice.events",
        children=(
            Menu(Perm.EVENTS_SEATING_PLANS, "Seating plans", route="backoffice.seating_plans"),
            Menu(Perm.EVENTS_SEAT_KILLS, "Seat kills", route="backoffice.seat_kills"),
        ),
    ),
    Menu(
        Perm.REPORTS,
        "Reports",
        children=(
            Menu(Perm.REPORTS_SALES, "Sales", route="reports.sales"),
            Menu(Perm.REPORTS_CAPACITY, "Capacity", route="reports.capacity"),
            Menu(Perm.REPORTS_ATTENDANCE, "Attendance", route="reports.attendance"),
            Menu(Perm.REPORTS_AUDIENCE, "Audience", route="reports.audience"),
            Menu(Perm.REPORTS_EMAIL, "E-mail and campaigns", route="reports.email"),
        ),
    ),
    Menu(
        Perm.SETTINGS,
        "Settings",
        children=(
            Menu(Perm.SETTINGS_STOREFRONT, "Storefront", route="backoffice.settings.storefront"),
            Menu(Perm.SETTINGS_SECURITY, "Security", route="backoffice.security"),
            Menu(Perm.SETTINGS_EMAIL_LOG, "E-mail log", route="backoffice.email_log"),
        ),
    ),
    Menu(Perm.CHECK_IN, "Check-in", route="backoffice.checkin"),
    Menu(Perm.AUDIT_LOG, "Audit log", route="backoffice.audit"),
)

GRANTABLE: frozenset[Perm] = frozenset(menu.permission for top in MENUS for menu in (top, *top.children))

ALWAYS_HELD = frozenset({Perm.SIGNED_IN, Perm.PUBLIC})


def parent_of(permission: Perm) -> Perm | None:
    head, dot, _ = permission.value.partition(".")
    return Perm(head) if dot else None


def normalise(keys: Iterable[str]) -> frozenset[Perm]:
    """The grantable permissions among `keys`, with sub-menus folded into a granted top-level menu."""
    granted = {Perm(key) for key in keys if key in GRANTABLE}
    return frozenset(key for key in granted if parent_of(key) not in granted)


def holds(granted: frozenset[Perm], permission: Perm) -> bool:
    """Whether a role with `granted` keys may open what `permission` guards."""
    if permission in ALWAYS_HELD or permission in granted:
        return True
    parent = parent_of(permission)
    return parent is not None and parent in granted


def visible_menus(granted: frozenset[Perm]) -> list[tuple[Menu, list[Menu]]]:
    """The navigation for a role: each top-level menu it may open that leads somewhere, with the
    sub-menus it may open that have a page."""
    navigation = []
    for top in MENUS:
        children = [child for child in top.children if child.route and holds(granted, child.permission)]
        if (top.route and holds(granted, top.permission)) or children:
            navigation.append((top, children))
    return navigation


def serialise(granted: Iterable[Perm]) -> str:
    return " ".join(sorted(key.value for key in normalise(granted)))


def deserialise(stored: str) -> frozenset[Perm]:
    return normalise(stored.split())

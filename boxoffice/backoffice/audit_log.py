"""The audit log: who did what, from where and when, filtered by person, action and days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from boxoffice.auth import audit
from boxoffice.auth.permissions import Perm
from boxoffice.db import parse_id
from boxoffice.paging import PageRequest
from boxoffice.web import forms
from boxoffice.web.dependencies import Acting

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """The audit log's filters as typed in the form; anything unreadable is ignored and said so."""

    criteria: audit.AuditFilter
    problems: list[str]


def parse_day(text: str, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return forms.parse_day(text)
    except ValueError:
        problems.append(f"{label} is not a date such as 2026-11-21; it was ignored.")
        return None


def parse_audit_query(actor: str, action: str, since: str, until: str) -> AuditQuery:
    problems: list[str] = []
    actor_id = parse_id(actor)
    if actor and actor_id is None:
        problems.append("Unknown staff member; showing everyone.")
    first_day = parse_day(since, "From", problems)
    last_day = parse_day(until, "To", problems)
    return AuditQuery(
        audit.AuditFilter(
            actor_id=actor_id,
            action=action[:60],
            since=datetime.combine(first_day, time.min, UTC) if first_day else None,
            until=datetime.combine(last_day + timedelta(days=1), time.min, UTC) if last_day else None,
        ),
        problems,
    )


@get("/backoffice/audit", name="backoffice.audit", opt={"permission": Perm.AUDIT_LOG})
async def audit_log(
    acting: Acting,
    actor: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    page: FromQuery[str] = "",
) -> Template:
    query = parse_audit_query(actor, action, since, until)
    entries = await audit.search(
        query.criteria,
        PageRequest.parse(page, size=AUDIT_PAGE_SIZE),
        with_personal=acting.staff.may(Perm.CRM_CONTACTS),
    )
    return Template(
        "backoffice/audit.html",
        context={
            "entries": entries,
            "problems": query.problems,
            "actors": await audit.actors(),
            "actions": await audit.known_actions(),
            "filters": {"actor": actor, "action": action, "since": since, "until": until},
        },
    )


ROUTES = [audit_log]

"""The audit log: a record of security-relevant actions.

An entry's detail holds identifiers and staff-side names. The one exception is the detail's `personal`
part, where a change to a customer's record keeps the old and new values (the trail of rectification,
GDPR 16): only staff who may see contacts are shown it, and erasing the customer blanks it, leaving
which fields changed and when.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns.combination import Combinable, Combination
from piccolo.querystring import Selectable

from boxoffice.auth.tables import AuditEntry, StaffUser
from boxoffice.db import one_of
from boxoffice.documents.redaction import ERASED_VALUE
from boxoffice.paging import Page, PageRequest

FIRST_PAGE = PageRequest(1, 50)
PERSONAL = "personal"  # the detail key for customer data (see the module's docstring)


async def record(
    action: str,
    *,
    actor_id: int | None,
    ip: str,
    object_type: str = "",
    object_id: int | str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry. `detail` holds identifiers and names of staff-side things; customer data goes
    only under its `PERSONAL` key."""
    await AuditEntry.insert(
        AuditEntry(
            actor=actor_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            ip=ip,
            detail=json.dumps(detail, sort_keys=True) if detail else "",
        )
    )


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    actor_name: str | None
    action: str
    object_type: str
    object_id: str
    ip: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


def matching(criteria: AuditFilter) -> list[Combinable]:
    """The conditions an entry must meet to pass the filter."""
    conditions: list[Combinable] = []
    if criteria.actor_id is not None:
        conditions.append(AuditEntry.actor == criteria.actor_id)
    if criteria.action:
        conditions.append(AuditEntry.action == criteria.action)
    if criteria.since is not None:
        conditions.append(AuditEntry.at >= criteria.since)
    if criteria.until is not None:
        conditions.append(AuditEntry.at < criteria.until)
    return conditions


async def search(
    criteria: AuditFilter, page: PageRequest = FIRST_PAGE, *, with_personal: bool = False
) -> Page[AuditRow]:
    """One page of entries, newest first, with how many pass the filter; a page past the end is the last
    one. The customer data kept under `PERSONAL` is in the rows only `with_personal`, for viewers who may
    see contacts."""
    conditions = matching(criteria)
    total = await AuditEntry.count().where(*conditions)
    shown = page.within(total)
    read = shown.reading(total)
    rows = (
        await AuditEntry.select(*row_columns())
        .where(*conditions)
        .order_by(AuditEntry.id, ascending=read.backwards)  # newest first, unless read from the end
        .limit(read.limit)
        .offset(read.offset)
    )
    entries = [
        AuditRow(
            at=row["at"],
            actor_name=row["actor_name"],
            action=row["action"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            ip=row["ip"],
            detail=shown_detail(row["detail"], with_personal=with_personal),
        )
        for row in read.in_order(rows)
    ]
    return shown.page(entries, total)


def row_columns() -> tuple[Selectable, ...]:
    """The columns an `AuditRow` is made from."""
    return (
        AuditEntry.at,
        AuditEntry.actor.name.as_alias("actor_name"),
        AuditEntry.action,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.ip,
        AuditEntry.detail,
    )


def shown_detail(stored: str, *, with_personal: bool) -> dict[str, Any]:
    detail = json.loads(stored) if stored else {}
    if not with_personal:
        detail.pop(PERSONAL, None)
    return detail


async def known_actions() -> list[str]:
    rows = await AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    return [row["action"] for row in rows]


async def actors() -> list[tuple[int, str]]:
    rows = await StaffUser.select(StaffUser.id, StaffUser.name).order_by(StaffUser.name)
    return [(row["id"], row["name"]) for row in rows]


def may_hold_personal(object_type: str, object_ids: list[str]) -> Combination:
    """Entries about these objects whose detail mentions the personal key (checked exactly once read)."""
    return (
        (AuditEntry.object_type == object_type)
        & one_of(AuditEntry.object_id, object_ids)
        & AuditEntry.detail.like(f'%"{PERSONAL}"%')
    )


async def personal_entries(object_type: str, object_ids: list[str]) -> list[AuditRow]:
    """The entries about these objects that hold personal data, oldest first."""
    rows = (
        await AuditEntry.select(*row_columns())
        .where(may_hold_personal(object_type, object_ids))
        .order_by(AuditEntry.id)
    )
    entries = [AuditRow(**{**row, "detail": json.loads(row["detail"])}) for row in rows]
    return [entry for entry in entries if PERSONAL in entry.detail]


def blank_values(value: Any) -> Any:
    """`value` with every string in it replaced by ERASED_VALUE, its shape (field names) kept."""
    if isinstance(value, dict):
        return {key: blank_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [blank_values(item) for item in value]
    return ERASED_VALUE if isinstance(value, str) and value else value


async def erase_personal_detail(object_type: str, object_ids: list[str]) -> int:
    """Blank the personal values of every entry about these objects, keeping what happened and which
    fields it touched; returns how many entries changed. Runs in the caller's transaction."""
    rows = await AuditEntry.select(AuditEntry.id, AuditEntry.detail).where(
        may_hold_personal(object_type, object_ids)
    )
    details = {row["id"]: json.loads(row["detail"]) for row in rows}
    personal = {entry_id: detail for entry_id, detail in details.items() if PERSONAL in detail}
    for entry_id, detail in personal.items():
        detail[PERSONAL] = blank_values(detail[PERSONAL])
        await AuditEntry.update({AuditEntry.detail: json.dumps(detail, sort_keys=True)}).where(
            AuditEntry.id == entry_id
        )
    return len(personal)

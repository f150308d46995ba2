"""The audit log: a record of security-relevant actions that never holds customers' personal data,
so erasing a customer never needs to rewrite it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boxoffice.auth.tables import AuditEntry, StaffUser

PAGE_SIZE = 50


async def record(
    action: str,
    *,
    actor_id: int | None,
    ip: str,
    object_type: str = "",
    object_id: int | str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry. `detail` holds identifiers and names of staff-side things, never customer data."""
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


async def search(criteria: AuditFilter, page: int = 1) -> tuple[list[AuditRow], bool]:
    """One page of entries, newest first, and whether there is a next page."""
    query = AuditEntry.select(
        AuditEntry.at,
        AuditEntry.actor.name.as_alias("actor_name"),
        AuditEntry.action,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.ip,
        AuditEntry.detail,
    )
    if criteria.actor_id is not None:
        query = query.where(AuditEntry.actor == criteria.actor_id)
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.since is not None:
        query = query.where(AuditEntry.at >= criteria.since)
    if criteria.until is not None:
        query = query.where(AuditEntry.at < criteria.until)
    rows = (
        await query.order_by(AuditEntry.id, ascending=False)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    entries = [
        AuditRow(
            at=row["at"],
            actor_name=row["actor_name"],
            action=row["action"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            ip=row["ip"],
            detail=json.loads(row["detail"]) if row["detail"] else {},
        )
        for row in rows[:PAGE_SIZE]
    ]
    return entries, len(rows) > PAGE_SIZE


async def known_actions() -> list[str]:
    rows = await AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    return [row["action"] for row in rows]


async def actors() -> list[tuple[int, str]]:
    rows = await StaffUser.select(StaffUser.id, StaffUser.name).order_by(StaffUser.name)
    return [(row["id"], row["name"]) for row in rows]

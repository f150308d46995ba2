"""The consent ledger: each change of a contact's marketing consent, as it happened.

Rows are only ever added. Each holds the exact words shown (or said) and the question version they came
from, where it came from, who recorded it, when, and from which address [GDPR 7(1)]. A contact's status
on a channel is its latest row there; a channel with no row is "no".

`record_consent` writes through whatever transaction the caller has open (Piccolo finds it through the
engine), so a consent lands together with the order or the contact edit that carried it, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.query.functions.aggregate import Count

from boxoffice.auth.tables import StaffUser
from boxoffice.db import one_of
from boxoffice.marketing.questions import ConsentQuestionVersion, consent_question
from boxoffice.marketing.tables import Channel, ConsentRecord, ConsentSource, QuestionKind

MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    """One row of a contact's consent history."""

    id: int
    recorded_at: datetime
    channel: str
    granted: bool
    source: str
    wording: str
    wording_version: int | None
    note: str
    actor_name: str | None  # the staff member who recorded it, if one did
    ip: str


async def record_consent(
    *,
    contact_id: int,
    channel: str,
    granted: bool,
    source: str,
    wording: str = "",
    question: ConsentQuestionVersion | None = None,
    question_id: int | None = None,
    note: str = "",
    actor_id: int | None = None,
    ip: str = "",
    now: datetime,
) -> int:
    """Add one consent change for a contact and return its id.

    `wording` is what the customer saw or was asked, word for word; `question` (or just its
    `question_id`) the question version it came from, if any. Without `wording`, the question's own
    text is recorded: question versions are never edited, so that is exactly what was shown.
    Raises ValueError for an unknown channel, source or question, no wording at all, or a naive time.
    Opens no transaction of its own: inside the caller's, it commits or rolls back with it.
    """
    channel = Channel(channel).value
    source = ConsentSource(source).value
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    if question_id is not None and (question is None or question.id != question_id):
        if question is not None:
            raise ValueError("`question` and `question_id` name different questions")
        question = await consent_question(question_id)
        if question is None:
            raise ValueError(f"no marketing question with id {question_id}")
    if not wording.strip():
        if question is None:
            raise ValueError("the wording shown is required")
        wording = question.text
    rows = await ConsentRecord.insert(
        ConsentRecord(
            contact=contact_id,
            channel=channel,
            granted=granted,
            source=source,
            question=question.id if question else None,
            wording=wording,
            wording_version=question.version if question else None,
            note=note[:MAX_NOTE_LENGTH],
            actor=actor_id,
            recorded_at=now,
            ip=ip[:45],
        )
    ).returning(ConsentRecord.id)
    return rows[0]["id"]


async def consent_status(contact_id: int) -> dict[str, bool]:
    """Whether the contact currently agrees to marketing on each channel ("email", "post", "phone")."""
    rows = (
        await ConsentRecord.select(ConsentRecord.channel, ConsentRecord.granted)
        .where(ConsentRecord.contact == contact_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id, ascending=False)
    )
    status = dict.fromkeys((channel.value for channel in Channel), False)
    seen: set[str] = set()
    for row in rows:
        if row["channel"] not in seen:
            seen.add(row["channel"])
            status[row["channel"]] = row["granted"]
    return status


async def consent_history(contact_id: int) -> list[ConsentEntry]:
    """Every consent change of the contact, newest first, with the name of the staff member who
    recorded it (looked up by id, so a removed staff account leaves the name empty)."""
    rows = (
        await ConsentRecord.select(
            ConsentRecord.id,
            ConsentRecord.recorded_at,
            ConsentRecord.channel,
            ConsentRecord.granted,
            ConsentRecord.source,
            ConsentRecord.wording,
            ConsentRecord.wording_version,
            ConsentRecord.note,
            ConsentRecord.actor,
            ConsentRecord.ip,
        )
        .where(ConsentRecord.contact == contact_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id, ascending=False)
    )
    actor_ids = {row["actor"] for row in rows if row["actor"] is not None}
    names: dict[int, str] = {}
    if actor_ids:
        staff = await StaffUser.select(StaffUser.id, StaffUser.name).where(
            one_of(StaffUser.id, list(actor_ids))
        )
        names = {row["id"]: row["name"] for row in staff}
    return [
        ConsentEntry(
            id=row["id"],
            recorded_at=row["recorded_at"],
            channel=row["channel"],
            granted=row["granted"],
            source=row["source"],
            wording=row["wording"],
            wording_version=row["wording_version"],
            note=row["note"],
            actor_name=names.get(row["actor"]) if row["actor"] is not None else None,
            ip=row["ip"],
        )
        for row in rows
    ]


async def records_by_question_version(kind: str) -> dict[int, int]:
    """How many consent records were given under each version of a marketing question ("online" or
    "box_office"), by version number; versions nothing was recorded under are left out."""
    question_kind = QuestionKind(kind)
    rows = (
        await ConsentRecord.select(
            ConsentRecord.question.version.as_alias("version"), Count().as_alias("records")
        )
        .where(ConsentRecord.question.kind == question_kind)
        .group_by(ConsentRecord.question.version)
    )
    return {row["version"]: row["records"] for row in rows}

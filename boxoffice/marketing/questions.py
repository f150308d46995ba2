"""The two marketing questions, online and at the box office, changed together from Marketing > Settings.

Each change of a question's wording or on/off switch adds a version (see `storefront.settings`, which
reads them for checkout and the box office); saving an unchanged form adds nothing. Consent records
point at the version they were given under, so the page can say how many were given under each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.marketing.tables import ConsentQuestion, QuestionKind
from boxoffice.storefront.settings import (
    CONCURRENT_CHANGE,
    MAX_WORDING_LENGTH,
    SettingsRefused,
    current_question,
    tidy_wording,
)

QUESTION_LABELS = {
    QuestionKind.ONLINE: "the online marketing question",
    QuestionKind.BOX_OFFICE: "the back-office marketing question",
}


@dataclass(frozen=True, slots=True)
class QuestionChange:
    """What one question should be: asked or not, and in which words."""

    kind: QuestionKind
    enabled: bool
    text: str


def question_problems(changes: list[QuestionChange]) -> dict[str, str]:
    """What is wrong, by form field (`<kind>_question_text`); empty when the changes may be saved."""
    problems = {}
    for change in changes:
        field = f"{change.kind.value}_question_text"
        wording, label = tidy_wording(change.text), QUESTION_LABELS[change.kind]
        if not wording:
            problems[field] = f"Enter the wording of {label}."
        elif len(wording) > MAX_WORDING_LENGTH:
            problems[field] = f"Use at most {MAX_WORDING_LENGTH} characters for the wording of {label}."
    return problems


async def save_question(change: QuestionChange, *, actor_id: int, ip: str, now: datetime) -> bool:
    """Add a version of the question if its wording or switch changed; returns whether it did."""
    text = tidy_wording(change.text)
    current = await current_question(change.kind)
    if (current.text, current.enabled) == (text, change.enabled):
        return False
    version = current.version + 1
    added = (
        await ConsentQuestion.insert(
            ConsentQuestion(
                kind=change.kind,
                version=version,
                text=text,
                enabled=change.enabled,
                created_at=now,
                created_by=actor_id,
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(ConsentQuestion.id)
    )
    if not added:
        raise SettingsRefused({"": CONCURRENT_CHANGE})
    await audit.record(
        "consent_question.changed",
        actor_id=actor_id,
        ip=ip,
        object_type="consent_question",
        object_id=added[0]["id"],
        detail={"kind": change.kind.value, "version": version, "enabled": change.enabled},
    )
    return True


async def save_marketing_questions(changes: list[QuestionChange], *, actor_id: int, ip: str) -> None:
    """Make `changes` the questions in effect, all or nothing, or raise SettingsRefused."""
    problems = question_problems(changes)
    if problems:
        raise SettingsRefused(problems)
    now = datetime.now(UTC)
    async with write_transaction():
        for change in changes:
            await save_question(change, actor_id=actor_id, ip=ip, now=now)

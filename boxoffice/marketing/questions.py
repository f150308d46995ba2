"""The two marketing questions, online and at the box office, changed together from Marketing > Settings.

Each change of a question's wording or on/off switch adds a version, and no version is ever edited;
saving an unchanged form adds nothing. Checkout and the box office ask `current_question`; version 1 of
each is created the first time it is read, race-safely (as `venue.policies` does). Consent records point
at the version they were given under, so the page can say how many were given under each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from boxoffice.auth import audit
from boxoffice.db import write_transaction
from boxoffice.marketing.tables import ConsentQuestion, QuestionKind
from boxoffice.venue.settings import CONCURRENT_CHANGE, SettingsRefused

MAX_WORDING_LENGTH = 500


DEFAULT_QUESTION_TEXT = {
    QuestionKind.ONLINE: "Yes, please e-mail me about upcoming shows, events and offers.",
    QuestionKind.BOX_OFFICE: "The customer agreed to hear about upcoming shows, events and offers by e-mail.",
}


def tidy_wording(text: str) -> str:
    """A question's wording on one line with single spaces, as it is shown."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class ConsentQuestionVersion:
    """The version of a marketing question in effect; `id` is its ConsentQuestion row, which a consent
    record given under it points at."""

    id: int
    kind: str
    version: int
    text: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class ConsentQuestionChange:
    """One version in a question's history."""

    id: int
    version: int
    text: str
    enabled: bool
    created_at: datetime


def _question_kind(kind: str) -> QuestionKind:
    try:
        return QuestionKind(kind)
    except ValueError:
        raise ValueError(f"no marketing question of kind {kind!r}") from None


async def current_question(kind: QuestionKind) -> ConsentQuestionVersion:
    for _ in range(2):
        row = (
            await ConsentQuestion.select(
                ConsentQuestion.id, ConsentQuestion.version, ConsentQuestion.text, ConsentQuestion.enabled
            )
            .where(ConsentQuestion.kind == kind)
            .order_by(ConsentQuestion.version, ascending=False)
            .first()
        )
        if row is not None:
            return ConsentQuestionVersion(
                id=row["id"],
                kind=kind.value,
                version=row["version"],
                text=row["text"],
                enabled=row["enabled"],
            )
        await ConsentQuestion.insert(
            ConsentQuestion(kind=kind, version=1, text=DEFAULT_QUESTION_TEXT[kind], enabled=True)
        ).on_conflict(action="DO NOTHING")
    raise RuntimeError(f"the first {kind} question could not be created")


async def question_asked(kind: QuestionKind) -> ConsentQuestionVersion | None:
    """The version in effect, or None when the venue has switched the question off."""
    question = await current_question(kind)
    return question if question.enabled else None


async def consent_question(question_id: int) -> ConsentQuestionVersion | None:
    """One version of a marketing question by its id, whether or not it is still in use."""
    row = (
        await ConsentQuestion.select(
            ConsentQuestion.id,
            ConsentQuestion.kind,
            ConsentQuestion.version,
            ConsentQuestion.text,
            ConsentQuestion.enabled,
        )
        .where(ConsentQuestion.id == question_id)
        .first()
    )
    return ConsentQuestionVersion(**row) if row else None


async def consent_question_history(kind: str) -> list[ConsentQuestionChange]:
    """Every version of a question, newest first."""
    question_kind = _question_kind(kind)
    await current_question(question_kind)
    rows = (
        await ConsentQuestion.select(
            ConsentQuestion.id,
            ConsentQuestion.version,
            ConsentQuestion.text,
            ConsentQuestion.enabled,
            ConsentQuestion.created_at,
        )
        .where(ConsentQuestion.kind == question_kind)
        .order_by(ConsentQuestion.version, ascending=False)
    )
    return [
        ConsentQuestionChange(
            id=row["id"],
            version=row["version"],
            text=row["text"],
            enabled=row["enabled"],
            created_at=row["created_at"],
        )
        for row in rows
    ]


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

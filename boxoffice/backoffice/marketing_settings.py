"""Marketing → Settings: the opt-in questions buyers and the counter are asked, each change kept as a
new version so every consent shows the words it was given to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.marketing import questions
from boxoffice.marketing.consent import records_by_question_version
from boxoffice.marketing.questions import MAX_WORDING_LENGTH, consent_question_history, current_question
from boxoffice.marketing.tables import QuestionKind
from boxoffice.venue.settings import SettingsRefused
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

MARKETING_SETTINGS = {"permission": Perm.MARKETING_SETTINGS}


@dataclass
class QuestionsForm:
    """Both questions as the form sends them; ticked boxes send "yes", unticked ones nothing."""

    online_question_enabled: str = ""
    online_question_text: str = ""
    box_office_question_enabled: str = ""
    box_office_question_text: str = ""

    def values(self) -> dict[str, str | bool]:
        return {
            "online_question_enabled": bool(self.online_question_enabled),
            "online_question_text": self.online_question_text,
            "box_office_question_enabled": bool(self.box_office_question_enabled),
            "box_office_question_text": self.box_office_question_text,
        }

    def changes(self) -> list[questions.QuestionChange]:
        values = self.values()
        return [
            questions.QuestionChange(
                kind=kind,
                enabled=bool(values[f"{kind.value}_question_enabled"]),
                text=str(values[f"{kind.value}_question_text"]),
            )
            for kind in QuestionKind
        ]


async def settings_page(
    *,
    values: dict[str, str | bool] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> Template:
    """The questions' form (as submitted, or as in effect) and each question's versions with how many
    consents were given under each."""
    current = {kind.value: await current_question(kind) for kind in QuestionKind}
    histories = {}
    for kind in QuestionKind:
        counts = await records_by_question_version(kind)
        histories[kind.value] = [
            (change, counts.get(change.version, 0)) for change in await consent_question_history(kind)
        ]
    in_effect = {}
    for kind, question in current.items():
        in_effect[f"{kind}_question_enabled"] = question.enabled
        in_effect[f"{kind}_question_text"] = question.text
    errors = errors or {}
    return Template(
        "marketing/settings.html",
        context={
            "values": values if values is not None else in_effect,
            "errors": errors,
            "error_list": list(errors.values()),
            "notice": notice,
            "current": current,
            "questions": histories,
            "max_wording_length": MAX_WORDING_LENGTH,
        },
        status_code=400 if errors else 200,
    )


@get("/marketing/settings", name="marketing.settings", opt=MARKETING_SETTINGS)
async def marketing_settings(done: FromQuery[str] = "") -> Template:
    return await settings_page(notice="The marketing settings have been saved." if done == "saved" else "")


@post("/marketing/settings", name="marketing.settings.save", opt=MARKETING_SETTINGS)
async def save_marketing_settings(
    request: Request, acting: Acting, data: Annotated[QuestionsForm, FORM]
) -> Template | Redirect:
    try:
        await questions.save_marketing_questions(data.changes(), actor_id=acting.staff_id, ip=acting.ip)
    except SettingsRefused as refusal:
        return await settings_page(values=data.values(), errors=refusal.problems)
    return Redirect(
        path=request.app.route_reverse("marketing.settings"), query_params={"done": "saved"}, status_code=303
    )


ROUTES = [marketing_settings, save_marketing_settings]

"""Events > Seating plans: each venue's plans, and the editor that builds sections from rows by seats,
changes chosen seats' attributes and zones or removes them, previews the plan as SVG, and imports and
exports it as CSV. Works without JavaScript: every change is a form with a checkbox per seat and per row.
The rules live in `boxoffice.sales.seating.plans`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from boxoffice.auth.permissions import Perm
from boxoffice.backoffice.events import known, refused_problems, see
from boxoffice.db import parse_id
from boxoffice.errors import Refused
from boxoffice.sales import venue_editing
from boxoffice.sales.seating import plans
from boxoffice.sales.seating.numbering import Direction, Numbering, RowShape
from boxoffice.sales.seating.plan_csv import COLUMNS, SeatLine, write_plan_csv
from boxoffice.sales.seating.plans import PlanRecord, SectionInput
from boxoffice.sales.tables import SeatAttribute
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

SEATING_PLANS = {"permission": Perm.EVENTS_SEATING_PLANS}
MOST_CSV_BYTES = 4 * 1024 * 1024

PLAN_NOTICES = {
    "created": "The plan has been created. Build its first section below, or import it from a CSV file.",
    "section": "The section has been added.",
    "seats": "The seats have been changed.",
    "removed": "The seats have been removed.",
    "imported": "The plan has been replaced by the seats in the file.",
}
ATTRIBUTE_LABELS = {
    SeatAttribute.WHEELCHAIR.value: "Wheelchair space",
    SeatAttribute.COMPANION.value: "Companion seat",
    SeatAttribute.RESTRICTED_VIEW.value: "Restricted view",
    SeatAttribute.AISLE.value: "Aisle",
}
CHOICES = {
    "directions": [
        (Direction.LEFT_TO_RIGHT.value, "Left to right"),
        (Direction.RIGHT_TO_LEFT.value, "Right to left"),
    ],
    "numberings": [
        (Numbering.CONSECUTIVE.value, "1, 2, 3 …"),
        (Numbering.ODD.value, "Odd: 1, 3, 5 …"),
        (Numbering.EVEN.value, "Even: 2, 4, 6 …"),
    ],
    "shapes": [
        (RowShape.STRAIGHT.value, "Straight"),
        (RowShape.CURVED.value, "Curved"),
        (RowShape.STAGGERED.value, "Staggered"),
    ],
}


def problems(refusal: Refused | None) -> dict[str, Any]:
    return refused_problems(refusal) if refusal else {"errors": [], "field_errors": {}}


async def plan_or_404(plan_id: int) -> PlanRecord:
    plan = await plans.get_plan(plan_id) if known(plan_id) else None
    if plan is None:
        raise NotFoundException()
    return plan


async def plans_page(
    *, name: str = "", venue: str = "", refusal: Refused | None = None, status_code: int = 200
) -> Template:
    return Template(
        "backoffice/events/seating_plans.html",
        context={
            "plans": await plans.list_plans(),
            "venues": await venue_editing.list_venues(),
            "values": {"name": name, "venue": venue},
            **problems(refusal),
        },
        status_code=status_code,
    )


@get("/backoffice/seating-plans", name="backoffice.seating_plans", opt=SEATING_PLANS)
async def seating_plans() -> Template:
    return await plans_page()


@post("/backoffice/seating-plans", name="backoffice.seating_plans.create", opt=SEATING_PLANS)
async def create_plan(request: Request, acting: Acting) -> Template | Redirect:
    form = await request.form()
    name, venue = str(form.get("name") or ""), str(form.get("venue") or "")
    venue_id = parse_id(venue)
    try:
        if venue_id is None:
            raise plans.PlanEditRefused("Choose the venue from the list.", "venue")
        plan_id = await plans.create_plan(venue_id, name, actor_id=acting.staff_id, ip=acting.ip)
    except Refused as refusal:
        return await plans_page(name=name, venue=venue, refusal=refusal, status_code=400)
    return see(request, "backoffice.seating_plans.plan", "created", plan_id=plan_id)


async def plan_page(
    plan: PlanRecord,
    *,
    notice: str = "",
    section_values: SectionInput | None = None,
    section_preview: list[SeatLine] | None = None,
    form: str = "",
    refusal: Refused | None = None,
    status_code: int = 200,
) -> Template:
    """The editor; `form` names the form a refusal belongs to (section, seats, import), whose errors are
    shown beside it."""
    return Template(
        "backoffice/events/seating_plan.html",
        context={
            "plan": plan,
            "seats": await plans.plan_seats(plan.id),
            "zones": await plans.plan_zones(plan.id),
            "section_values": section_values or SectionInput(),
            "preview": section_preview or [],
            "attribute_labels": ATTRIBUTE_LABELS,
            "notice": notice,
            "columns": ",".join(COLUMNS),
            "form_problems": {form: refused_problems(refusal)} if refusal else {},
            **CHOICES,
        },
        status_code=status_code,
    )


@get("/backoffice/seating-plans/{plan_id:int}", name="backoffice.seating_plans.plan", opt=SEATING_PLANS)
async def seating_plan(plan_id: FromPath[int], done: FromQuery[str] = "") -> Template:
    return await plan_page(await plan_or_404(plan_id), notice=PLAN_NOTICES.get(done, ""))


@post(
    "/backoffice/seating-plans/{plan_id:int}/sections",
    name="backoffice.seating_plans.sections",
    opt=SEATING_PLANS,
)
async def add_section(
    request: Request, acting: Acting, plan_id: FromPath[int], data: Annotated[SectionInput, FORM]
) -> Template | Redirect:
    plan = await plan_or_404(plan_id)
    try:
        layout = plans.section_layout(data)
        await plans.add_section(plan_id, layout, data.zone, actor_id=acting.staff_id, ip=acting.ip)
    except Refused as refusal:
        return await plan_page(plan, section_values=data, form="section", refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.seating_plans.plan", "section", plan_id=plan_id)


@post(
    "/backoffice/seating-plans/{plan_id:int}/sections/preview",
    name="backoffice.seating_plans.sections.preview",
    opt=SEATING_PLANS,
)
async def preview_section(
    request: Request, plan_id: FromPath[int], data: Annotated[SectionInput, FORM]
) -> Template:
    """The section as it would be built, saving nothing: drawn in place by htmx, or on the whole editor
    page without JavaScript."""
    plan = await plan_or_404(plan_id)
    refusal, seats = None, []
    try:
        seats = await plans.new_section(plan_id, plans.section_layout(data), data.zone)
    except Refused as refused:
        refusal = refused
    except LookupError as missing:
        raise NotFoundException() from missing
    if request.headers.get("hx-request") == "true":
        return Template(
            "backoffice/events/_section_preview.html",
            context={"preview": seats, "fragment_problems": problems(refusal) if refusal else None},
        )
    return await plan_page(
        plan,
        section_values=data,
        section_preview=seats,
        form="section",
        refusal=refusal,
        status_code=400 if refusal else 200,
    )


@post(
    "/backoffice/seating-plans/{plan_id:int}/seats",
    name="backoffice.seating_plans.seats",
    opt=SEATING_PLANS,
)
async def change_seats(request: Request, acting: Acting, plan_id: FromPath[int]) -> Template | Redirect:
    plan = await plan_or_404(plan_id)
    form = await request.form()
    seat_ids = [seat_id for value in form.getall("seat", []) if (seat_id := parse_id(str(value)))]
    rows = [str(value) for value in form.getall("row", [])]
    change = str(form.get("change") or "")
    try:
        await plans.change_seats(
            plan_id,
            seat_ids,
            rows,
            change,
            attributes=[str(value) for value in form.getall("attribute", [])],
            zone=str(form.get("zone") or ""),
            actor_id=acting.staff_id,
            ip=acting.ip,
        )
    except Refused as refusal:
        return await plan_page(plan, form="seats", refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(
        request,
        "backoffice.seating_plans.plan",
        "removed" if change == plans.SeatChange.REMOVE else "seats",
        plan_id=plan_id,
    )


@post(
    "/backoffice/seating-plans/{plan_id:int}/import",
    name="backoffice.seating_plans.import",
    opt=SEATING_PLANS,
)
async def import_plan(request: Request, acting: Acting, plan_id: FromPath[int]) -> Template | Redirect:
    plan = await plan_or_404(plan_id)
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise plans.PlanEditRefused("Choose a CSV file to import.", "file")
        content = await upload.read(MOST_CSV_BYTES + 1)
        if len(content) > MOST_CSV_BYTES:
            raise plans.PlanEditRefused("The file is larger than 4 MB; a plan’s CSV is far smaller.", "file")
        await plans.import_plan(plan_id, content, actor_id=acting.staff_id, ip=acting.ip)
    except Refused as refusal:
        return await plan_page(plan, form="import", refusal=refusal, status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return see(request, "backoffice.seating_plans.plan", "imported", plan_id=plan_id)


@get(
    "/backoffice/seating-plans/{plan_id:int}/plan.csv",
    name="backoffice.seating_plans.export",
    opt=SEATING_PLANS,
)
async def export_plan(plan_id: FromPath[int]) -> Response:
    plan = await plan_or_404(plan_id)
    return Response(
        write_plan_csv(await plans.export_plan(plan.id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=seating-plan-{plan.id}.csv"},
    )


ROUTES = [
    seating_plans,
    create_plan,
    seating_plan,
    add_section,
    preview_section,
    change_seats,
    import_plan,
    export_plan,
]

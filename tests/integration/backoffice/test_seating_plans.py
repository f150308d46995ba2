"""Events > Seating plans through HTTP with the real app: building sections, changing and removing
chosen seats, the SVG preview, CSV import and export, the input refused, and who may."""

from __future__ import annotations

import re

import httpx
import pytest

from boxoffice.auth.tables import AuditEntry
from boxoffice.sales.tables import PlanSeat, SeatingPlan, Venue
from tests.support.catalog import make_seating_plan, make_venue
from tests.support.staff import csrf_token, make_staff, post_form, sign_in


@pytest.fixture
async def manager(client: httpx.AsyncClient):
    staff = await make_staff("box_office_manager", name="Max Manager")
    await sign_in(client, staff)
    return staff


@pytest.fixture
async def hall(database: None) -> Venue:
    return await make_venue()


@pytest.fixture
async def plan(hall: Venue) -> SeatingPlan:
    plan = SeatingPlan(venue=hall.id, name="Main house")
    await plan.save()
    return plan


async def seats_of(plan_id: int) -> list[dict]:
    return await PlanSeat.select().where(PlanSeat.plan == plan_id).order_by(PlanSeat.id)


def page_text(response: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


async def upload(client: httpx.AsyncClient, plan_id: int, content: bytes) -> httpx.Response:
    token = await csrf_token(client, f"/backoffice/seating-plans/{plan_id}")
    return await client.post(
        f"/backoffice/seating-plans/{plan_id}/import",
        data={"_csrf_token": token},
        files={"file": ("plan.csv", content, "text/csv")},
    )


async def test_staff_create_a_plan_for_a_venue_and_see_it_listed(client, manager, hall):
    response = await post_form(
        client, "/backoffice/seating-plans", {"venue": str(hall.id), "name": "Main house"}
    )

    assert response.status_code == 303
    plan = await SeatingPlan.select().first()
    assert (plan["name"], plan["venue"]) == ("Main house", hall.id)
    listing = await client.get("/backoffice/seating-plans")
    assert "Main house" in listing.text and hall.name in listing.text
    assert "seating_plan.created" in [row["action"] for row in await AuditEntry.select(AuditEntry.action)]


async def test_a_plan_without_a_venue_or_name_is_refused(client, manager, hall):
    response = await post_form(client, "/backoffice/seating-plans", {"venue": "", "name": "Main"})
    assert response.status_code == 400
    assert "Choose the venue from the list." in response.text
    response = await post_form(client, "/backoffice/seating-plans", {"venue": str(hall.id), "name": " "})
    assert response.status_code == 400
    assert "Enter the plan’s name." in response.text
    assert await SeatingPlan.count() == 0


async def test_building_a_section_lays_out_numbered_seats_and_previews_them(client, manager, plan):
    response = await post_form(
        client,
        f"/backoffice/seating-plans/{plan.id}/sections",
        {
            "section": "Stalls",
            "rows": "3",
            "seats_per_row": "6",
            "first_row": "A",
            "direction": "right_to_left",
            "numbering": "consecutive",
            "aisles_after": "3",
            "shape": "curved",
            "zone": "A",
        },
        form_page=f"/backoffice/seating-plans/{plan.id}",
    )

    assert response.status_code == 303
    seats = await seats_of(plan.id)
    assert len(seats) == 18
    row_a = sorted((seat for seat in seats if seat["row"] == "A"), key=lambda seat: seat["x"])
    assert [seat["label"] for seat in row_a] == ["6", "5", "4", "3", "2", "1"]
    assert row_a[3]["x"] - row_a[2]["x"] == 20  # the aisle
    assert {seat["zone"] for seat in seats} == {"A"}
    page = await client.get(f"/backoffice/seating-plans/{plan.id}")
    svg = re.search(r"<svg class=\"seat-map\".*?</svg>", page.text, re.S).group(0)
    assert '<title id="plan-preview-title">Main house' in svg
    assert svg.count('role="img"') == 18
    assert 'aria-label="Stalls, row A, seat 6, zone A"' in svg


async def test_a_second_section_goes_below_the_first_and_a_clashing_name_is_refused(client, manager, plan):
    form = {
        "section": "Stalls",
        "rows": "2",
        "seats_per_row": "4",
        "first_row": "A",
        "direction": "left_to_right",
        "numbering": "consecutive",
        "shape": "straight",
        "zone": "A",
    }
    path = f"/backoffice/seating-plans/{plan.id}/sections"
    page = f"/backoffice/seating-plans/{plan.id}"
    await post_form(client, path, form, form_page=page)
    await post_form(client, path, {**form, "section": "Circle", "zone": "B"}, form_page=page)

    clash = await post_form(client, path, form, form_page=page)

    assert clash.status_code == 400
    assert "already has a section called Stalls" in page_text(clash)
    seats = await seats_of(plan.id)
    assert len(seats) == 16
    stalls_bottom = max(seat["y"] for seat in seats if seat["section"] == "Stalls")
    assert min(seat["y"] for seat in seats if seat["section"] == "Circle") > stalls_bottom
    listed = (await client.get(page)).text  # the seat lists follow the plan, front to back
    assert listed.index("<legend>Stalls</legend>") < listed.index("<legend>Circle</legend>")
    assert listed.index("<legend>Row A</legend>") < listed.index("<legend>Row B</legend>")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rows", "many", "Enter the number of rows as a whole number"),
        ("seats_per_row", "900", "The seats in each row must be between 1 and 150."),
        ("aisles_after", "4, 99", "not 99"),
        ("section", "", "Enter the section name."),
        ("direction", "sideways", "Choose the numbering and the shape of the rows from the lists."),
    ],
)
async def test_a_section_that_cannot_be_built_is_refused_and_adds_nothing(
    client, manager, plan, field, value, message
):
    form = {
        "section": "Stalls",
        "rows": "2",
        "seats_per_row": "10",
        "direction": "left_to_right",
        "numbering": "consecutive",
        "shape": "straight",
        field: value,
    }

    response = await post_form(
        client,
        f"/backoffice/seating-plans/{plan.id}/sections",
        form,
        form_page=f"/backoffice/seating-plans/{plan.id}",
    )

    assert response.status_code == 400
    assert message in page_text(response)
    assert await PlanSeat.count() == 0


async def test_chosen_seats_and_rows_get_attributes_and_zones_or_are_removed(client, manager, hall):
    plan = await make_seating_plan(hall, {"Stalls": (2, 4)})
    seats = await seats_of(plan.id)
    a1, a2 = seats[0]["id"], seats[1]["id"]
    path, page = f"/backoffice/seating-plans/{plan.id}/seats", f"/backoffice/seating-plans/{plan.id}"
    token = await csrf_token(client, page)

    marked = await client.post(
        path,
        data={
            "_csrf_token": token,
            "seat": [str(a1)],
            "attribute": ["wheelchair", "aisle"],
            "change": "attributes",
        },
    )
    zoned = await client.post(
        path, data={"_csrf_token": token, "row": ["Stalls|B"], "zone": "Rear", "change": "zone"}
    )
    removed = await client.post(path, data={"_csrf_token": token, "seat": [str(a2)], "change": "remove"})

    assert [marked.status_code, zoned.status_code, removed.status_code] == [303, 303, 303]
    after = {(seat["row"], seat["label"]): seat for seat in await seats_of(plan.id)}
    assert after["A", "1"]["attributes"] == "wheelchair aisle"
    assert ("A", "2") not in after
    assert {seat["zone"] for key, seat in after.items() if key[0] == "B"} == {"Rear"}
    assert {after["A", "3"]["zone"], after["A", "3"]["attributes"]} == {"A", ""}
    preview = (await client.get(page)).text
    assert 'aria-label="Stalls, row A, seat 1, zone A, wheelchair space, aisle"><title>' in preview
    assert '<rect x="1" y="1" width="8" height="8"' in preview  # a wheelchair space is drawn square


async def test_a_seat_of_another_plan_or_nothing_chosen_changes_nothing(client, manager, hall):
    plan = await make_seating_plan(hall, {"Stalls": (1, 2)})
    other = await make_seating_plan(hall, {"Stalls": (1, 2)}, name="Other")
    stranger = (await seats_of(other.id))[0]["id"]
    page = f"/backoffice/seating-plans/{plan.id}"
    token = await csrf_token(client, page)

    response = await client.post(
        f"{page}/seats", data={"_csrf_token": token, "seat": [str(stranger)], "change": "remove"}
    )

    assert response.status_code == 400
    assert "Choose at least one seat or row of this plan." in page_text(response)
    assert await PlanSeat.count() == 4


async def test_a_plan_exports_as_csv_and_imports_back_unchanged(client, manager, hall):
    plan = await make_seating_plan(hall, {"Stalls": (2, 3), "Circle": (1, 2)})
    await PlanSeat.update({PlanSeat.attributes: "wheelchair"}).where(PlanSeat.label == "1")

    exported = await client.get(f"/backoffice/seating-plans/{plan.id}/plan.csv")

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[0] == "section,row,seat,x,y,zone,attributes"
    assert "Stalls,A,1,0,0,A,wheelchair" in exported.text.splitlines()
    empty = SeatingPlan(venue=hall.id, name="Copy")
    await empty.save()
    response = await upload(client, empty.id, exported.content)
    assert response.status_code == 303
    copied = {
        tuple(row[key] for key in ("section", "row", "label", "x", "y", "zone", "attributes"))
        for row in await seats_of(empty.id)
    }
    original = {
        tuple(row[key] for key in ("section", "row", "label", "x", "y", "zone", "attributes"))
        for row in await seats_of(plan.id)
    }
    assert copied == original and len(copied) == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"section,row,x,y\nStalls,A,0,0\n", "The file has no seat column"),
        (
            b"section,row,seat,x,y\nStalls,A,1,0,0\nStalls,A,1,10,0\n",
            "Line 3: Stalls row A seat 1 is already on line 2",
        ),
        (b"section,row,seat,x,y\nStalls,A,1,left,0\n", "Line 2: x must be a whole number"),
        (b"section,row,seat,x,y,zone,attributes\nStalls,A,1,0,0,A,sofa\n", "Line 2: unknown attribute sofa"),
    ],
)
async def test_a_bad_csv_is_refused_and_the_plan_is_unchanged(client, manager, hall, content, message):
    plan = await make_seating_plan(hall, {"Stalls": (1, 3)})
    before = await seats_of(plan.id)

    response = await upload(client, plan.id, content)

    assert response.status_code == 400
    assert message in page_text(response)
    assert await seats_of(plan.id) == before


async def test_an_import_without_a_file_is_refused(client, manager, plan):
    response = await post_form(
        client,
        f"/backoffice/seating-plans/{plan.id}/import",
        {},
        form_page=f"/backoffice/seating-plans/{plan.id}",
    )

    assert response.status_code == 400
    assert "Choose a CSV file to import." in page_text(response)


async def test_seating_plans_need_their_permission(client, plan):
    operator = await make_staff("box_office_operator", enrolled=False)
    await sign_in(client, operator)

    assert (await client.get("/backoffice/seating-plans")).status_code == 403
    assert (await client.get(f"/backoffice/seating-plans/{plan.id}")).status_code == 403
    assert (await client.get(f"/backoffice/seating-plans/{plan.id}/plan.csv")).status_code == 403


SECTION_FORM = {
    "section": "Circle",
    "rows": "2",
    "seats_per_row": "8",
    "first_row": "A",
    "direction": "left_to_right",
    "numbering": "odd",
    "aisles_after": "4",
    "shape": "staggered",
    "zone": "B",
}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-javascript"])
async def test_a_section_is_previewed_before_it_is_built_and_nothing_is_saved(client, manager, plan, htmx):
    page = f"/backoffice/seating-plans/{plan.id}"
    token = await csrf_token(client, page)

    response = await client.post(
        f"{page}/sections/preview",
        data={"_csrf_token": token, **SECTION_FORM},
        headers={"HX-Request": "true"} if htmx else {},
    )

    assert response.status_code == 200
    assert "Preview of Circle: 16 seats, not saved yet" in page_text(response)
    assert 'aria-label="Circle, row B, seat 15, zone B"' in response.text
    assert ("<html" in response.text) is not htmx  # htmx gets the fragment alone
    assert await PlanSeat.count() == 0


async def test_a_preview_of_a_section_that_cannot_be_built_says_why(client, manager, plan):
    page = f"/backoffice/seating-plans/{plan.id}"
    token = await csrf_token(client, page)
    form = {"_csrf_token": token, **SECTION_FORM, "rows": "0"}

    fragment = await client.post(f"{page}/sections/preview", data=form, headers={"HX-Request": "true"})
    whole = await client.post(f"{page}/sections/preview", data=form)

    assert fragment.status_code == 200 and whole.status_code == 400
    for response in (fragment, whole):
        assert "The number of rows must be between 1 and 60." in page_text(response)
    assert await PlanSeat.count() == 0

"""CRM → Duplicates: contacts that look like one person, a page of groups at a time, reviewed and merged,
or marked as not one person for good."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.crm import duplicates
from boxoffice.db import parse_id
from boxoffice.paging import PageRequest
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

DUPLICATES = {"permission": Perm.CRM_DUPLICATES}
GROUPS_PAGE_SIZE = 20
NOTICES = {
    "merged": "The contacts have been merged.",
    "dismissed": "The two contacts will not be offered as duplicates again.",
}


async def duplicates_page(
    page: PageRequest | None = None, *, notice: str = "", error: str = "", status_code: int = 200
) -> Template:
    return Template(
        "crm/duplicates.html",
        context={
            "groups": await duplicates.likely_duplicates(page or PageRequest(1, GROUPS_PAGE_SIZE)),
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@get("/crm/duplicates", name="crm.duplicates", opt=DUPLICATES)
async def duplicate_list(done: FromQuery[str] = "", page: FromQuery[str] = "") -> Template:
    return await duplicates_page(PageRequest.parse(page, size=GROUPS_PAGE_SIZE), notice=NOTICES.get(done, ""))


@dataclass
class MergeForm:
    keep: str = ""
    merge: str = ""


def merge_pair(keep: str, merge: str) -> tuple[int, int]:
    keep_id, merge_id = parse_id(keep), parse_id(merge)
    if keep_id is None or merge_id is None:
        raise duplicates.MergeRefused("Choose the contact to keep and the one to merge into it.")
    return keep_id, merge_id


@get("/crm/duplicates/merge", name="crm.duplicates.review", opt=DUPLICATES)
async def review_merge(keep: FromQuery[str] = "", merge: FromQuery[str] = "") -> Template:
    """What a merge will do, shown before it is done: it cannot be undone. Without two contacts chosen,
    the list to choose from."""
    if not keep and not merge:
        return await duplicates_page()
    try:
        preview = await duplicates.merge_preview(*merge_pair(keep, merge))
    except duplicates.MergeRefused as refusal:
        return await duplicates_page(error=str(refusal), status_code=400)
    return Template("crm/merge.html", context={"preview": preview})


@post("/crm/duplicates/merge", name="crm.duplicates.merge", opt=DUPLICATES)
async def merge(request: Request, acting: Acting, data: Annotated[MergeForm, FORM]) -> Template | Redirect:
    try:
        keep_id, merge_id = merge_pair(data.keep, data.merge)
        await duplicates.merge_contacts(
            keep_id, merge_id, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        )
    except duplicates.MergeRefused as refusal:
        return await duplicates_page(error=str(refusal), status_code=400)
    return Redirect(
        path=request.app.route_reverse("crm.duplicates"), query_params={"done": "merged"}, status_code=303
    )


@dataclass
class DismissForm:
    first: str = ""
    second: str = ""
    page: str = ""  # the page of the list the pair was on, to come back to


@post("/crm/duplicates/dismiss", name="crm.duplicates.dismiss", opt=DUPLICATES)
async def dismiss(
    request: Request, acting: Acting, data: Annotated[DismissForm, FORM]
) -> Template | Redirect:
    """Mark two contacts as not one person: they are never offered as duplicates again."""
    page = PageRequest.parse(data.page, size=GROUPS_PAGE_SIZE)
    try:
        first_id, second_id = parse_id(data.first), parse_id(data.second)
        if first_id is None or second_id is None:
            raise duplicates.DismissRefused("Choose the two contacts that are not one person.")
        await duplicates.dismiss_pair(
            first_id, second_id, actor_id=acting.staff_id, ip=acting.ip, now=acting.now
        )
    except duplicates.DismissRefused as refusal:
        return await duplicates_page(page, error=str(refusal), status_code=400)
    return Redirect(
        path=request.app.route_reverse("crm.duplicates"),
        query_params={"done": "dismissed", **({"page": str(page.number)} if page.number > 1 else {})},
        status_code=303,
    )


ROUTES = [duplicate_list, review_merge, merge, dismiss]

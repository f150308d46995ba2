"""CRM → Tags: the venue's tags, created, renamed and deleted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.crm import tags
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM

TAGS = {"permission": Perm.CRM_TAGS}


TAG_NOTICES = {
    "created": "The tag has been created.",
    "renamed": "The tag has been renamed.",
    "deleted": "The tag has been deleted.",
}


async def tags_page(*, notice: str = "", error: str = "", status_code: int = 200) -> Template:
    return Template(
        "crm/tags.html",
        context={
            "tags": await tags.list_tags(),
            "notice": notice,
            "error": error,
            "max_length": tags.MAX_TAG_LENGTH,
        },
        status_code=status_code,
    )


@get("/crm/tags", name="crm.tags", opt=TAGS)
async def tag_list(done: FromQuery[str] = "") -> Template:
    return await tags_page(notice=TAG_NOTICES.get(done, ""))


@dataclass
class TagForm:
    name: str = ""


def back_to_tags(request: Request, done: str) -> Redirect:
    return Redirect(path=request.app.route_reverse("crm.tags"), query_params={"done": done}, status_code=303)


@post("/crm/tags", name="crm.tags.create", opt=TAGS)
async def create_tag(request: Request, acting: Acting, data: Annotated[TagForm, FORM]) -> Template | Redirect:
    try:
        await tags.create_tag(data.name, actor_id=acting.staff_id, ip=acting.ip)
    except tags.TagRefused as refusal:
        return await tags_page(error=str(refusal), status_code=400)
    return back_to_tags(request, "created")


@post("/crm/tags/{tag_id:int}/rename", name="crm.tags.rename", opt=TAGS)
async def rename_tag(
    request: Request, acting: Acting, tag_id: FromPath[int], data: Annotated[TagForm, FORM]
) -> Template | Redirect:
    try:
        await tags.rename_tag(tag_id, data.name, actor_id=acting.staff_id, ip=acting.ip)
    except tags.TagRefused as refusal:
        return await tags_page(error=str(refusal), status_code=400)
    except LookupError as missing:
        raise NotFoundException() from missing
    return back_to_tags(request, "renamed")


@get("/crm/tags/{tag_id:int}/delete", name="crm.tags.confirm_delete", opt=TAGS)
async def confirm_tag_deletion(tag_id: FromPath[int]) -> Template:
    """Deleting a tag takes it off every contact, so the count is shown first."""
    tag = next((tag for tag in await tags.list_tags() if tag.id == tag_id), None)
    if tag is None:
        raise NotFoundException()
    return Template("crm/tag_delete.html", context={"tag": tag})


@post("/crm/tags/{tag_id:int}/delete", name="crm.tags.delete", opt=TAGS)
async def delete_tag(request: Request, acting: Acting, tag_id: FromPath[int]) -> Redirect:
    try:
        await tags.delete_tag(tag_id, actor_id=acting.staff_id, ip=acting.ip)
    except LookupError as missing:
        raise NotFoundException() from missing
    return back_to_tags(request, "deleted")


ROUTES = [tag_list, create_tag, rename_tag, confirm_tag_deletion, delete_tag]

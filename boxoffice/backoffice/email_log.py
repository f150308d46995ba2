"""Settings → E-mail log: every message the venue sent or is sending, and what became of it."""

from __future__ import annotations

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from boxoffice.auth.permissions import Perm
from boxoffice.mail.email_log import message_detail, recent_messages
from boxoffice.paging import PageRequest

EMAIL_LOG_PAGE_SIZE = 50


@get("/backoffice/email-log", name="backoffice.email_log", opt={"permission": Perm.SETTINGS_EMAIL_LOG})
async def email_log(page: FromQuery[str] = "") -> Template:
    """Every e-mail Boxoffice has sent or will send; without SMTP settings this is where they can be read."""
    messages = await recent_messages(PageRequest.parse(page, size=EMAIL_LOG_PAGE_SIZE))
    return Template("backoffice/email_log.html", context={"messages": messages})


@get(
    "/backoffice/email-log/{message_id:int}",
    name="backoffice.email_log.message",
    opt={"permission": Perm.SETTINGS_EMAIL_LOG},
)
async def email_message(message_id: FromPath[int]) -> Template:
    message = await message_detail(message_id)
    if message is None:
        raise NotFoundException()
    return Template("backoffice/email_message.html", context={"message": message})


ROUTES = [email_log, email_message]

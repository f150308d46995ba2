"""The staff member's own account: their details and a new password."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from litestar import Request, get, post
from litestar.response import Template

from boxoffice.auth import accounts, passwords
from boxoffice.auth.permissions import Perm
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM
from boxoffice.web.guards import Staff
from boxoffice.web.sessions import STORE_NAME, SessionState, rotate_session_id


@dataclass
class PasswordForm:
    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""


def account_page(
    *, errors: list[str] | None = None, changed: bool = False, status_code: int = 200
) -> Template:
    return Template(
        "backoffice/account.html",
        context={"errors": errors or [], "changed": changed},
        status_code=status_code,
    )


@get("/backoffice/account", name="backoffice.account", opt={"permission": Perm.SIGNED_IN})
async def account() -> Template:
    return account_page()


@post("/backoffice/account/password", name="backoffice.account.password", opt={"permission": Perm.SIGNED_IN})
async def change_password(request: Request, acting: Acting, data: Annotated[PasswordForm, FORM]) -> Template:
    staff: Staff = acting.staff
    if data.new_password != data.confirm_password:
        return account_page(errors=["The new password and its confirmation differ."], status_code=400)
    try:
        epoch = await accounts.change_password(
            staff.id,
            current=data.current_password[:1024],
            new=data.new_password[:1024],
            ip=acting.ip,
        )
    except (accounts.AccountRefused, passwords.PasswordRejected) as refusal:
        return account_page(errors=[str(refusal)], status_code=400)
    state = SessionState.from_session(request.session)
    if state is not None:
        await rotate_session_id(request, request.app.stores.get(STORE_NAME))
        request.set_session(replace(state, epoch=epoch).as_session())
    return account_page(changed=True)


ROUTES = [account, change_password]

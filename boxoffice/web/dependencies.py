"""What a route asks for by name, provided once for every route: `acting` (the staff member acting, from
which address, at what time: what every audited change records), `address` (the client's, on public
pages), `settings`, `gateway` (Stripe, None when card payments are off) and `secret_box`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from boxoffice.config import Settings
from boxoffice.payments.stripe_gateway import StripeGateway
from boxoffice.secretbox import SecretBox
from boxoffice.web.guards import Staff, client_ip


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is doing something, from where, and when."""

    staff: Staff
    ip: str
    now: datetime

    @property
    def staff_id(self) -> int:
        return self.staff.id


def provide_acting(request: Request) -> Actor:
    """Only for routes behind the staff guard, which has put the signed-in staff member on the request."""
    return Actor(staff=request.state.staff, ip=client_ip(request), now=datetime.now(UTC))


def provide_address(request: Request) -> str:
    return client_ip(request)


def provide_settings(request: Request) -> Settings:
    return request.app.state.settings


def provide_gateway(request: Request) -> StripeGateway | None:
    return request.app.state.stripe


def provide_secret_box(request: Request) -> SecretBox:
    return request.app.state.secret_box


# What a route's parameters are annotated with: the parameter's name says which dependency it is. The
# values are the app's own, made above, so the signature model passes them on without validating them.
Acting: TypeAlias = NamedDependency[SkipValidation[Actor]]
AppSettings: TypeAlias = NamedDependency[SkipValidation[Settings]]
Gateway: TypeAlias = NamedDependency[SkipValidation[StripeGateway | None]]
ClientAddress: TypeAlias = NamedDependency[SkipValidation[str]]
Secrets: TypeAlias = NamedDependency[SkipValidation[SecretBox]]

DEPENDENCIES = {
    "acting": Provide(provide_acting, sync_to_thread=False),
    "address": Provide(provide_address, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "gateway": Provide(provide_gateway, sync_to_thread=False),
    "secret_box": Provide(provide_secret_box, sync_to_thread=False),
}

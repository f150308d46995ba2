"""Headers that every response carries, error pages and static files included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from litestar.types import Message, Scope

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def content_security_policy(form_targets: Iterable[str]) -> str:
    """No inline script and no eval: behaviour comes from htmx and files under assets/. Forms may lead
    only here, and to the payment page a checkout form redirects to (browsers check redirects too)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            " ".join(["form-action 'self'", *form_targets]),
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def security_headers(form_targets: Iterable[str]) -> Callable[[Message, Scope], Awaitable[None]]:
    headers: list[tuple[bytes, bytes]] = [
        (b"content-security-policy", content_security_policy(form_targets).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=()"),
    ]
    hsts = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        message_headers = message.setdefault("headers", [])
        message_headers.extend(headers)
        if scope.get("scheme") == "https":
            message_headers.append(hsts)

    return add_security_headers

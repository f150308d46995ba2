"""Our only door to Stripe. Buyers pay on Stripe's hosted Checkout page, so no card data ever reaches us.

Every call that changes something at Stripe carries an idempotency key made from the order and the action,
so a retry (by the SDK after a network error, or by us after a crash) can never create a second session
or refund twice. The SDK itself retries transient failures, with the same key.

The SDK (some 25 MB in a process) is imported when something asks Stripe, never by importing this module:
a venue without card payments, or a web worker that has taken none yet, does not carry it.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from boxoffice.config import Settings

if TYPE_CHECKING:
    import stripe

MAX_NETWORK_RETRIES = 2
WEBHOOK_TOLERANCE_SECONDS = 300
STRIPE_SHORTEST_EXPIRY = timedelta(minutes=30)
EXPIRY_MARGIN = timedelta(minutes=5)

# What may come back from Stripe into our tables: its ids are short and plain, and a body signed with our
# secret could still hold text PostgreSQL refuses (a NUL), a line break for our logs, longer text than a
# column or a number past one. Patterns end in \Z: msgspec searches them, and $ would let a final newline by.
StripeId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_]{1,255}\Z")]
MetadataValue = Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*\Z", max_length=500)]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{3}\Z")]
MinorUnits = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]  # amounts live in 32-bit integer columns

KEY_LIKE = re.compile(r"\b(sk|rk|pk|whsec)_\w+")


class PaymentProviderError(Exception):
    """Stripe refused a call or could not be reached.

    The message is safe to log and to keep: it never holds a key (Stripe masks them and we redact anything
    shaped like one), and never card data, which does not reach us at all.
    """

    def __init__(self, message: str, *, http_status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code

    @classmethod
    def from_stripe(cls, error: stripe.StripeError) -> PaymentProviderError:
        reason = KEY_LIKE.sub(r"\1_***", error.user_message or "no message")
        answer = f"HTTP {error.http_status}" if error.http_status else "no answer"
        message = f"Stripe {type(error).__name__} ({answer}, request {error.request_id}): {reason}"
        return cls(message, http_status=error.http_status, code=error.code)


class WebhookRejected(Exception):
    """A webhook we cannot prove came from Stripe just now (bad signature, timestamp more than five minutes
    either side of ours), or that cannot be an event at all (not JSON, not an object with an id, a type and
    a data object)."""


class UnusableEvent(ValueError):
    """A genuine event whose object lacks what we act on. Stripe is told it arrived (a retry would bring the
    same body), and the event changes nothing."""


class EventData(msgspec.Struct, frozen=True):
    object: dict[str, Any]


class WebhookEvent(msgspec.Struct, frozen=True):
    """A verified webhook event. Its object stays a plain mapping: a signed body can still be shaped unlike
    the type it names, so every field we use is checked where it is read (`checkout_session_from`)."""

    id: StripeId
    type: str
    data: EventData


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    name: str
    unit_amount: int  # minor units
    quantity: int


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    order_reference: str
    order_id: int
    currency: str  # ISO 4217, as in Money
    lines: list[CheckoutLine]
    customer_email: str
    success_url: str  # may hold Stripe's {CHECKOUT_SESSION_ID} placeholder
    cancel_url: str
    expires_at: datetime  # when our hold on the seats ends; timezone-aware


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: StripeId
    url: str | None  # the page to send the buyer to; None once the session is no longer open
    status: str  # "open", "complete" or "expired"
    payment_status: str  # "unpaid", "paid" or "no_payment_required"
    amount_total: MinorUnits
    currency: CurrencyCode  # ISO 4217 in upper case, as in Money (Stripe writes it in lower case)
    payment_intent: StripeId | None  # set once paid; refunds are made against it
    metadata: dict[str, MetadataValue]


def stripe_expiry(hold_ends_at: datetime) -> int:
    """When Stripe should close the session: its shortest allowed expiry (30 minutes) plus a margin after our
    hold ends.

    Our holds may be shorter than Stripe allows, so Stripe's expiry is only a backstop: the application
    expires the session itself with `expire_checkout_session` when the hold ends. It is derived from the hold
    alone, never from the clock, because Stripe refuses an idempotency key reused with other parameters:
    creating the session again for the same order must send exactly the same request. A payment that still
    slips in after the hold is the late-payment case (re-take capacity or refund).
    """
    if hold_ends_at.utcoffset() is None:
        raise ValueError("expires_at must be timezone-aware")
    return int((hold_ends_at + STRIPE_SHORTEST_EXPIRY + EXPIRY_MARGIN).timestamp())


@contextmanager
def stripe_errors_as_provider_errors() -> Iterator[None]:
    import stripe

    try:
        yield
    except stripe.StripeError as error:
        raise PaymentProviderError.from_stripe(error) from error


class StripeGateway:
    """Stripe's API as the rest of Boxoffice needs it.

    The calls are truly asynchronous: stripe 16 offers an `*_async` variant of each call, run here on the
    `httpx.AsyncClient` inside `stripe.HTTPXClient`. That client is built without synchronous support, so
    a blocking call slipped in by mistake fails loudly instead of stalling the event loop. Its connection
    pool belongs to the event loop that first uses it: make one gateway per process, inside the running
    application, and `aclose()` it on shutdown.
    """

    def __init__(self, *, secret_key: str, api_base: str | None, webhook_secret: str) -> None:
        import stripe

        self._http_client = stripe.HTTPXClient()
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": (api_base or stripe.DEFAULT_API_BASE).rstrip("/")},
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=self._http_client,
        )
        self._webhook_secret = webhook_secret

    async def aclose(self) -> None:
        await self._http_client.close_async()

    async def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        """Open a Checkout Session for the order, or find the one already opened for it.

        A second call for the same order gets Stripe's first answer replayed, which may be stale (the buyer
        may have paid since, or the session expired), so the session's current state is fetched then.
        """
        order_metadata = {"order_id": str(request.order_id), "order_reference": request.order_reference}
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": request.currency.lower(),
                        "product_data": {"name": line.name},
                        "unit_amount": line.unit_amount,
                    },
                    "quantity": line.quantity,
                }
                for line in request.lines
            ],
            "customer_email": request.customer_email,
            "client_reference_id": request.order_reference,
            "metadata": order_metadata,
            "payment_intent_data": {"metadata": order_metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": stripe_expiry(request.expires_at),
        }
        with stripe_errors_as_provider_errors():
            session = await self._client.v1.checkout.sessions.create_async(
                params=params, options={"idempotency_key": f"order-{request.order_id}-checkout"}
            )
        response = session.last_response
        if response is not None and response.headers.get("idempotent-replayed") == "true":
            return await self.retrieve_checkout_session(session.id)
        return checkout_session_from(session.to_dict())

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        with stripe_errors_as_provider_errors():
            session = await self._client.v1.checkout.sessions.retrieve_async(session_id)
        return checkout_session_from(session.to_dict())

    async def expire_checkout_session(self, session_id: str, order_id: int) -> bool:
        """Close the session so that it can no longer be paid; True if our request expired it.

        False means Stripe had already closed it: paid (a payment is on its way, by webhook) or expired on
        its own. Neither is an error for us; retrieve the session to tell them apart.
        """
        import stripe

        try:
            await self._client.v1.checkout.sessions.expire_async(
                session_id, options={"idempotency_key": f"order-{order_id}-expire"}
            )
        except stripe.InvalidRequestError as refusal:
            current = await self.retrieve_checkout_session(session_id)
            if current.status == "open":
                raise PaymentProviderError.from_stripe(refusal) from refusal
            return False
        except stripe.StripeError as error:
            raise PaymentProviderError.from_stripe(error) from error
        return True

    async def refund(
        self,
        payment_intent: str,
        amount: int,
        idempotency_key: str,
        *,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Refund `amount` minor units of a payment; returns the refund's id.

        The caller names the key (say, per order and reason) so that retrying a refund never refunds twice.
        `metadata` comes back on the refund in Stripe's webhooks, to recognise refunds we made.
        """
        params: dict = {"payment_intent": payment_intent, "amount": amount}
        if metadata:
            params["metadata"] = metadata
        with stripe_errors_as_provider_errors():
            refund = await self._client.v1.refunds.create_async(
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        return refund.id

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        """The event in a webhook body, once its signature proves it came from Stripe within 5 minutes of now.

        `payload` must be the raw body as received: the signature covers its exact bytes. Stripe's SDK
        refuses only timestamps too far in the past; one too far ahead is refused here, so that a body
        signed with a leaked secret and a future date cannot be replayed for as long as its date lasts.
        """
        import stripe

        if signature_header is not None and not signature_header.isascii():
            # Stripe's header is ASCII; the SDK's comparison would fail on anything else rather than refuse it
            raise WebhookRejected("the signature header is not ASCII")
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                text, signature_header, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
            raise WebhookRejected(str(error)) from error
        if signed_at(signature_header or "") > time.time() + WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected("the signature is dated in the future")
        try:
            return msgspec.json.decode(payload, type=WebhookEvent)
        except (msgspec.DecodeError, RecursionError) as error:  # RecursionError: nested past any event
            raise WebhookRejected(f"not an event: {error}") from error


def signed_at(signature_header: str) -> int:
    """The time in a verified `Stripe-Signature` header: the one the signature was checked against, read by
    the SDK's own parser, since any other reading of an odd header (`t=1=2`) could differ from it."""
    import stripe

    timestamp, _ = stripe.WebhookSignature._get_timestamp_and_signatures(
        signature_header, stripe.WebhookSignature.EXPECTED_SCHEME
    )
    return timestamp


class StripeRefund(msgspec.Struct, frozen=True):
    id: StripeId
    amount: MinorUnits
    metadata: dict[str, MetadataValue] = {}


class RefundList(msgspec.Struct, frozen=True):
    data: list[StripeRefund] = []


class RefundedCharge(msgspec.Struct, frozen=True):
    """What a `charge.refunded` event tells us: the payment it was for and its refunds so far."""

    payment_intent: StripeId | None
    refunded: bool  # the whole charge is refunded
    refunds: RefundList = RefundList()
    metadata: dict[str, MetadataValue] = {}  # the PaymentIntent's, which names our order


def refunded_charge_from(charge: Mapping[str, Any]) -> RefundedCharge:
    """The refunds on a charge; UnusableEvent when the charge is not shaped like one."""
    try:
        return msgspec.convert(charge, RefundedCharge)
    except msgspec.ValidationError as error:
        raise UnusableEvent(f"not a usable charge: {error}") from error


def checkout_session_from(session: Mapping[str, Any]) -> CheckoutSession:
    """Our view of a Checkout Session, from the API or a webhook; UnusableEvent when it lacks a field we
    use or holds one of another type."""
    try:
        parsed = msgspec.convert(session, CheckoutSession)
    except msgspec.ValidationError as error:
        raise UnusableEvent(f"not a usable Checkout Session: {error}") from error
    return dataclasses.replace(parsed, currency=parsed.currency.upper())


def gateway_from_settings(settings: Settings) -> StripeGateway | None:
    """The process's gateway, or None when Stripe is not configured (card payment is then hidden)."""
    if not settings.card_payments:
        return None
    return StripeGateway(
        secret_key=settings.stripe_secret_key,
        api_base=settings.stripe_api_base or None,
        webhook_secret=settings.stripe_webhook_secret,
    )

"""A local stand-in for Stripe's API: the real `stripe` SDK talks to it over HTTP on 127.0.0.1.

Stripe lies outside our machine, so tests fake it at the network boundary and nowhere else. The fake
answers with objects shaped from Stripe's own published fixtures, keeps idempotent results the way Stripe
does (a reused key replays the first answer, and refuses different parameters), records every API request
so tests can assert on what the app sent, signs webhooks as Stripe signs them, and serves a hosted
checkout page on which a browser can pay.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import stripe

FIXTURES_PATH = Path(__file__).with_name("stripe") / "fixtures.json"
SECRET_KEY = "sk_test_fake_stripe_0123456789"
WEBHOOK_SECRET = "whsec_fake_stripe_0123456789"

# Stripe's limits on a Checkout Session's `expires_at`, counted from its creation.
SHORTEST_EXPIRY_SECONDS = 30 * 60
LONGEST_EXPIRY_SECONDS = 24 * 60 * 60

FORM_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")


@functools.cache
def _fixtures() -> dict[str, dict[str, Any]]:
    return json.loads(FIXTURES_PATH.read_text())["resources"]


def stripe_fixture(resource: str) -> dict[str, Any]:
    """A fresh copy of Stripe's example object of that resource type, ready to be overridden."""
    return copy.deepcopy(_fixtures()[resource])


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def nest_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation as nested data: `line_items[0][quantity]=2` becomes
    {"line_items": [{"quantity": "2"}]}.

    Values stay strings, as they travelled; a level whose keys are 0, 1, … n-1 becomes a list.
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = FORM_KEY.fullmatch(key)
        path = [match[1], *re.findall(r"\[([^\[\]]*)\]", match[2])] if match else [key]
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists_from_indexed_dicts(root)


def _lists_from_indexed_dicts(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    children = {key: _lists_from_indexed_dicts(value) for key, value in node.items()}
    indexes = [str(index) for index in range(len(children))]
    if children and sorted(children, key=lambda key: (len(key), key)) == indexes:
        return [children[index] for index in indexes]
    return children


def error_body(message: str, *, error_type: str = "invalid_request_error", **fields: str) -> dict[str, Any]:
    return {"error": {"type": error_type, "message": message, **fields}}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One API request as the fake received it; header names are lower-cased."""

    method: str
    path: str
    query: list[tuple[str, str]]
    form_pairs: list[tuple[str, str]]
    form: dict[str, Any]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass(frozen=True, slots=True)
class _IdempotentResult:
    method: str
    path: str
    form: dict[str, Any]
    status: int
    body: bytes


class _Refused(Exception):
    """Ends an API call with a Stripe-shaped error answer."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.status = status
        self.body = body


def _invalid(message: str, **fields: str) -> _Refused:
    return _Refused(400, error_body(message, **fields))


def _missing(resource: str, object_id: str, param: str = "id") -> _Refused:
    return _Refused(
        404, error_body(f"No such {resource}: '{object_id}'", code="resource_missing", param=param)
    )


class FakeStripe:
    """The fake API on a free port of 127.0.0.1; use it as a context manager or call start() and stop().

    Point the SDK at `url` (`base_addresses={"api": fake.url}`) with `secret_key`, and verify webhooks
    with `webhook_secret`. Set `webhook_url` to have a payment on the hosted page deliver the signed
    `checkout.session.completed` event there, as Stripe would.
    """

    def __init__(self, *, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET) -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.webhook_url: str | None = None
        self.requests: list[RecordedRequest] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._session_lines: dict[str, list[dict[str, Any]]] = {}
        self._payment_intent_metadata: dict[str, dict[str, str]] = {}
        self._idempotent_results: dict[str, _IdempotentResult] = {}
        self._failures_left = 0
        self._failure_status = 500
        self.answer_delay = 0.0  # seconds each API answer waits after its request is recorded
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., tuple[int, dict[str, Any]]]]] = [
            ("POST", re.compile(r"/v1/checkout/sessions"), self._create_session),
            ("GET", re.compile(r"/v1/checkout/sessions/([^/]+)"), self._retrieve_session),
            ("POST", re.compile(r"/v1/checkout/sessions/([^/]+)/expire"), self._expire_session),
            ("POST", re.compile(r"/v1/refunds"), self._create_refund),
            ("GET", re.compile(r"/v1/payment_intents/([^/]+)"), self._retrieve_payment_intent),
        ]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if (request.method, request.path) == (method, path)]

    # Test controls

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` API requests with an error, as if they never reached Stripe's API.

        Nothing is created and nothing is remembered for their idempotency keys, so the SDK's retries
        (it retries 409 and 5xx answers) can succeed.
        """
        with self._lock:
            self._failures_left = count
            self._failure_status = status

    def complete_session(self, session_id: str) -> dict[str, Any]:
        """Pay an open session as a buyer would on Stripe's page; returns the session as it now is."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}: only an open session can be paid")
            now = int(time.time())
            amount, currency = session["amount_total"], session["currency"]
            metadata = self._payment_intent_metadata[session_id]
            payment_intent_id, charge_id = new_id("pi_test"), new_id("ch_test")
            customer_details = stripe_fixture("checkout.session")["customer_details"]
            customer_details["email"] = session["customer_email"]
            charge = stripe_fixture("charge") | {
                "id": charge_id,
                "amount": amount,
                "amount_captured": amount,
                "amount_refunded": 0,
                "balance_transaction": None,
                "billing_details": customer_details | {"tax_id": None},
                "captured": True,
                "created": now,
                "currency": currency,
                "description": None,
                "metadata": metadata,
                "paid": True,
                "payment_intent": payment_intent_id,
                "receipt_email": session["customer_email"],
                "receipt_url": None,
                "refunded": False,
                "source": None,
                "status": "succeeded",
                "transfer_data": None,
            }
            del charge["refunds"]
            payment_intent = stripe_fixture("payment_intent") | {
                "id": payment_intent_id,
                "amount": amount,
                "amount_received": amount,
                "canceled_at": None,
                "client_secret": f"{payment_intent_id}_secret_{secrets.token_hex(12)}",
                "created": now,
                "currency": currency,
                "last_payment_error": None,
                "latest_charge": charge_id,
                "metadata": metadata,
                "next_action": None,
                "payment_method_configuration_details": None,
                "processing": None,
                "receipt_email": session["customer_email"],
                "shipping": None,
                "status": "succeeded",
                "transfer_data": None,
            }
            self.charges[charge_id] = charge
            self.payment_intents[payment_intent_id] = payment_intent
            session.update(
                status="complete",
                payment_status="paid",
                payment_intent=payment_intent_id,
                customer_details=customer_details,
                url=None,
            )
            return copy.deepcopy(session)

    def refund_in_dashboard(self, payment_intent_id: str, amount: int) -> dict[str, Any]:
        """Refund part of a payment as the venue would in Stripe's dashboard; returns the charge as the
        `charge.refunded` event that follows carries it, with all its refunds so far."""
        with self._lock:
            self._create_refund({"payment_intent": payment_intent_id, "amount": str(amount)})
            charge = self.charges[self.payment_intents[payment_intent_id]["latest_charge"]]
            refunds = [refund for refund in self.refunds.values() if refund["charge"] == charge["id"]]
            listed = {"object": "list", "data": refunds, "has_more": False, "url": "/v1/refunds"}
            return copy.deepcopy(charge | {"refunds": listed})

    def sign(self, payload: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
        """The `Stripe-Signature` header for `payload`; an old timestamp or another secret makes a bad one."""
        signed_at = int(time.time()) if timestamp is None else timestamp
        key = (secret or self.webhook_secret).encode()
        digest = hmac.new(key, f"{signed_at}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={signed_at},v1={digest}"

    def webhook_event(
        self, event_type: str, obj: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """A webhook body carrying `obj` and its `Stripe-Signature` header, as Stripe would send them."""
        event = stripe_fixture("event") | {
            "id": new_id("evt_test"),
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "data": {"object": obj},
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        payload = json.dumps(event).encode()
        return payload, self.sign(payload, timestamp=timestamp, secret=secret)

    # HTTP

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if parts.path.startswith("/pay/"):
            self._checkout_page(handler, parts.path.removeprefix("/pay/"))
            return
        form_pairs = parse_qsl(body.decode(), keep_blank_values=True)
        request = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            form_pairs=form_pairs,
            form=nest_form(form_pairs),
            headers={name.lower(): value for name, value in handler.headers.items()},
        )
        status, answer, extra_headers = self._answer(request)
        time.sleep(self.answer_delay)
        headers = {"Content-Type": "application/json", "Request-Id": new_id("req"), **extra_headers}
        if request.idempotency_key:
            headers["Idempotency-Key"] = request.idempotency_key
        _send(handler, status, answer, headers)

    def _answer(self, request: RecordedRequest) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            self.requests.append(request)
            if self._failures_left:
                self._failures_left -= 1
                return (
                    self._failure_status,
                    _json(error_body("Simulated failure.", error_type="api_error")),
                    {},
                )
            if request.authorization != f"Bearer {self.secret_key}":
                masked = (request.authorization or "").removeprefix("Bearer ")[-4:]
                message = f"Invalid API Key provided: sk_test_****{masked}"
                return 401, _json(error_body(message)), {}
            key = request.idempotency_key if request.method == "POST" else None
            if key and key in self._idempotent_results:
                return self._replay(self._idempotent_results[key], request)
            status, answer = self._route(request)
            body = _json(answer)
            if key:
                self._idempotent_results[key] = _IdempotentResult(
                    request.method, request.path, request.form, status, body
                )
            return status, body, {}

    def _replay(
        self, first: _IdempotentResult, request: RecordedRequest
    ) -> tuple[int, bytes, dict[str, str]]:
        if (first.method, first.path, first.form) != (request.method, request.path, request.form):
            message = (
                "Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{request.idempotency_key}' if you meant to execute "
                "a different request."
            )
            return 400, _json(error_body(message, error_type="idempotency_error")), {}
        return first.status, first.body, {"Idempotent-Replayed": "true"}

    def _route(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        for method, pattern, answer in self._routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                try:
                    return answer(request.form, *match.groups())
                except _Refused as refusal:
                    return refusal.status, refusal.body
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}). "
            "Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
        )
        return 404, error_body(message)

    # API endpoints, called with the lock held

    def _create_session(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if form.get("mode") != "payment":
            raise _invalid("This fake only makes Checkout Sessions in `payment` mode.", param="mode")
        lines = form.get("line_items")
        if not isinstance(lines, list) or not lines:
            raise _invalid("`line_items` is required in `payment` mode.", param="line_items")
        for index, line in enumerate(lines):
            price_data = line.get("price_data")
            if not price_data or "quantity" not in line:
                raise _invalid(
                    "Each line item needs `price_data` and `quantity`.", param=f"line_items[{index}]"
                )
        currencies = {line["price_data"]["currency"] for line in lines}
        if len(currencies) != 1:
            raise _invalid("All line items must be in one currency.", param="line_items")
        now = int(time.time())
        expires_at = int(form.get("expires_at", now + LONGEST_EXPIRY_SECONDS))
        if expires_at < now + SHORTEST_EXPIRY_SECONDS:
            raise _invalid(
                "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                param="expires_at",
            )
        if expires_at > now + LONGEST_EXPIRY_SECONDS:
            raise _invalid(
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                param="expires_at",
            )
        session_id = new_id("cs_test")
        total = sum(int(line["price_data"]["unit_amount"]) * int(line["quantity"]) for line in lines)
        session = stripe_fixture("checkout.session") | {
            "id": session_id,
            "after_expiration": None,
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": form.get("cancel_url"),
            "client_reference_id": form.get("client_reference_id"),
            "collected_information": None,
            "created": now,
            "currency": currencies.pop(),
            "currency_conversion": None,
            "customer_details": None,
            "customer_email": form.get("customer_email"),
            "expires_at": expires_at,
            "metadata": form.get("metadata", {}),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "shipping_address_collection": None,
            "shipping_cost": None,
            "status": "open",
            "success_url": form.get("success_url"),
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "url": f"{self.url}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self._session_lines[session_id] = lines
        self._payment_intent_metadata[session_id] = form.get("payment_intent_data", {}).get("metadata", {})
        return 200, session

    def _retrieve_session(self, form: dict[str, Any], session_id: str) -> tuple[int, dict[str, Any]]:
        if session_id not in self.sessions:
            raise _missing("checkout.session", session_id, param="session")
        return 200, self.sessions[session_id]

    def _expire_session(self, form: dict[str, Any], session_id: str) -> tuple[int, dict[str, Any]]:
        if session_id not in self.sessions:
            raise _missing("checkout.session", session_id, param="session")
        session = self.sessions[session_id]
        if session["status"] != "open":
            raise _invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session '
                f'has a status of "{session["status"]}".'
            )
        session.update(status="expired", url=None)
        return 200, session

    def _create_refund(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment_intent_id = form.get("payment_intent")
        if not payment_intent_id:
            raise _invalid("You must provide a `payment_intent` to refund.", param="payment_intent")
        if payment_intent_id not in self.payment_intents:
            raise _missing("payment_intent", payment_intent_id, param="payment_intent")
        charge = self.charges[self.payment_intents[payment_intent_id]["latest_charge"]]
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise _invalid(
                f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        amount = int(form.get("amount", remaining))
        if not 0 < amount <= remaining:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                param="amount",
            )
        refund = stripe_fixture("refund") | {
            "id": new_id("re_test"),
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "metadata": form.get("metadata", {}),
            "payment_intent": payment_intent_id,
            "reason": form.get("reason"),
            "status": "succeeded",
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _retrieve_payment_intent(self, form: dict[str, Any], intent_id: str) -> tuple[int, dict[str, Any]]:
        if intent_id not in self.payment_intents:
            raise _missing("payment_intent", intent_id, param="intent")
        return 200, self.payment_intents[intent_id]

    # The hosted checkout page

    def _checkout_page(self, handler: BaseHTTPRequestHandler, session_id: str) -> None:
        with self._lock:
            session = copy.deepcopy(self.sessions.get(session_id))
            lines = copy.deepcopy(self._session_lines.get(session_id, []))
        if session is None:
            _send_html(handler, 404, "<p>No such checkout session.</p>")
        elif handler.command == "GET":
            _send_html(handler, 200, _checkout_html(session, lines))
        else:
            try:
                paid = self.complete_session(session_id)
            except ValueError:
                _send_html(handler, 409, "<p>This checkout session can no longer be paid.</p>")
                return
            self._deliver_webhook("checkout.session.completed", paid)
            success_url = paid["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            _send(handler, 303, b"", {"Location": success_url})

    def _deliver_webhook(self, event_type: str, obj: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        payload, signature = self.webhook_event(event_type, obj)
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        with contextlib.suppress(httpx.TransportError):
            httpx.post(self.webhook_url, content=payload, headers=headers, timeout=30)


def _checkout_html(session: dict[str, Any], lines: list[dict[str, Any]]) -> str:
    currency = html.escape(session["currency"].upper())
    items = "".join(
        f"<li>{int(line['quantity'])} × {html.escape(line['price_data']['product_data']['name'])}</li>"
        for line in lines
    )
    total = f"<p>Total: <strong>{session['amount_total'] / 100:.2f} {currency}</strong></p>"
    if session["status"] != "open":
        return f"<ul>{items}</ul>{total}<p>This checkout session is {html.escape(session['status'])}.</p>"
    action = html.escape(f"/pay/{session['id']}")
    return (
        f"<ul>{items}</ul>{total}"
        f'<form method="post" action="{action}"><button type="submit">Pay</button></form>'
        f'<p><a href="{html.escape(session["cancel_url"] or "")}">Cancel</a></p>'
    )


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _send_html(handler: BaseHTTPRequestHandler, status: int, content: str) -> None:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout – Fake Stripe</title>'
        f"</head><body><main><h1>Checkout</h1>{content}</main></body></html>"
    )
    _send(handler, status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


class _Server(ThreadingHTTPServer):
    def __init__(self, fake: FakeStripe) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on a kept-alive connection the body
    # would wait for the client's delayed ACK (40 ms on Linux), which Stripe's own servers never add.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    do_POST = do_GET
    do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded requests say what happened."""


@pytest.fixture(name="fake_stripe")
def fake_stripe_fixture() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake

"""What lets a venue's IT follow the service: request ids, JSON logs and Prometheus metrics.

Every request gets an id, sent back as `X-Request-ID`, carried by every log line written while it is
served and shown on its error page, so a person's "it went wrong" can be found in the logs. With
`BOXOFFICE_LOG_FORMAT=json` each log line is one JSON object. Each request is counted and timed under its
route's template (`/performances/{performance_id}`, never the address itself, so the number of series
stays small), in files shared by the web workers when `boxoffice serve` runs several (prometheus-client's
multiprocess mode: PROMETHEUS_MULTIPROC_DIR, which `serve` sets before). `/metrics` adds, when read,
figures from the database that no single process knows: holds, sales, the outbox and the worker.

A request costs an id, two clock readings and two updates of values kept in memory (or in the shared
files' memory map): some 10 µs, about 1% of a storefront page's CPU (bench/observability.py).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from boxoffice.db import as_utc
from boxoffice.mail.outbox import WORKER_LEASE
from boxoffice.mail.tables import MailWorker, OutboxMessage
from boxoffice.sales.tables import Hold, Payment

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
REQUEST_ID_HEADER = b"x-request-id"
METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE = "(no route)"  # 404s for addresses no route has, counted together
SALES_WINDOW = timedelta(hours=24)

REQUESTS = Counter(
    "boxoffice_http_requests",
    "Requests answered, by route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "boxoffice_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def install_request_ids() -> None:
    """Give every log record, from any logger, the id of the request being served ("" outside one)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "adds_request_id", False):
        return

    def record_with_request_id(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    record_with_request_id.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_request_id)


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, and exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


JSON_FORMATTER = f"{__name__}.JsonLogFormatter"


def uvicorn_json_log_config() -> dict:
    """uvicorn's own loggers (start-up, errors, the access log), one JSON object a line."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JSON_FORMATTER}},
        "handlers": {"default": handler},
        "loggers": {
            name: {"handlers": ["default"], "level": "INFO", "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


class RequestObserver:
    """ASGI middleware around the whole app (routing and error pages included): the request's id, its
    count and its time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.counted: dict[tuple[str, str, int], Counter] = {}
        self.timed: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.observe(scope["method"], scope.get("path_template", UNMATCHED_ROUTE), status, started)
            REQUEST_ID.reset(token)

    def observe(self, method: str, route: str, status: int, started: float) -> None:
        """Count and time the request; each series' handle is looked up once, not on every request."""
        counted = self.counted.get((method, route, status))
        if counted is None:
            counted = self.counted[(method, route, status)] = REQUESTS.labels(method, route, str(status))
        timed = self.timed.get((method, route))
        if timed is None:
            timed = self.timed[(method, route)] = LATENCY.labels(method, route)
        counted.inc()
        timed.observe(time.perf_counter() - started)


def process_metrics() -> bytes:
    """The request metrics of every web worker (of this one alone when serving without `serve`)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


class Figures:
    """A collector of metrics made beforehand, for one exposition."""

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics = list(metrics)

    def collect(self) -> Iterable[Metric]:
        return self.metrics


def gauge(name: str, documentation: str, labels: list[str], rows: Iterable[tuple]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for *label_values, value in rows:
        family.add_metric([str(label) for label in label_values], float(value))
    return family


async def database_metrics(now: datetime) -> bytes:
    """Figures read from the database when /metrics is read: the same whichever web worker answers."""
    [holds] = await Hold.raw(
        "SELECT COUNT(*) AS holds, COALESCE(SUM(quantity), 0) AS seats FROM hold WHERE expires_at > {}", now
    )
    payments = await Payment.raw(
        "SELECT method, currency, COUNT(*) AS payments, COALESCE(SUM(amount), 0) AS amount FROM payment"
        " WHERE created_at > {} GROUP BY method, currency",
        now - SALES_WINDOW,
    )
    outbox = await OutboxMessage.raw(
        "SELECT status, COUNT(*) AS messages FROM outbox_message WHERE status <> 'sent' GROUP BY status"
    )
    [oldest] = await OutboxMessage.raw(
        "SELECT MIN(next_attempt_at) AS due FROM outbox_message"
        " WHERE status = 'queued' AND next_attempt_at <= {}",
        now,
    )
    [workers] = await MailWorker.raw(
        "SELECT COUNT(*) AS alive, MAX(lease_until) AS lease FROM mail_worker WHERE lease_until > {}", now
    )
    [last_seen] = await MailWorker.raw("SELECT MAX(lease_until) AS lease FROM mail_worker")
    by_status = {row["status"]: row["messages"] for row in outbox}
    overdue = (now - as_utc(oldest["due"])).total_seconds() if oldest["due"] else 0
    heartbeat = (as_utc(last_seen["lease"]) - WORKER_LEASE).timestamp() if last_seen["lease"] else 0
    registry = CollectorRegistry()
    registry.register(
        Figures(
            [
                gauge("boxoffice_holds", "Baskets' holds not yet lapsed.", [], [(holds["holds"],)]),
                gauge("boxoffice_seats_held", "Seats those holds keep.", [], [(holds["seats"],)]),
                gauge(
                    "boxoffice_payments_24h",
                    "Payments taken in the last 24 hours, online and at the counter.",
                    ["method", "currency"],
                    [(row["method"], row["currency"], row["payments"]) for row in payments],
                ),
                gauge(
                    "boxoffice_payments_24h_amount",
                    "What those payments came to, in the currency's minor units.",
                    ["method", "currency"],
                    [(row["method"], row["currency"], row["amount"]) for row in payments],
                ),
                gauge(
                    "boxoffice_outbox_messages",
                    "E-mail not (yet) sent, by status: queued, claimed and sending are the backlog; failed"
                    " and uncertain need a person.",
                    ["status"],
                    [(status, by_status.get(status, 0)) for status in OUTBOX_STATUSES],
                ),
                gauge(
                    "boxoffice_outbox_overdue_seconds",
                    "How long the longest-waiting due message has waited.",
                    [],
                    [(max(overdue, 0),)],
                ),
                gauge(
                    "boxoffice_workers_alive",
                    "`boxoffice worker` processes whose lease holds.",
                    [],
                    [(workers["alive"],)],
                ),
                gauge(
                    "boxoffice_worker_last_heartbeat_timestamp_seconds",
                    "When a `boxoffice worker` last showed it was running (Unix time; 0: never).",
                    [],
                    [(heartbeat,)],
                ),
            ]
        )
    )
    return generate_latest(registry)


OUTBOX_STATUSES = ("queued", "claimed", "sending", "failed", "uncertain")

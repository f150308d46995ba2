"""What a venue's IT sees of the running service: each answer's request id (also on its error page and in
every log line), JSON logs, and /metrics for Prometheus, read only from the monitoring networks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from ipaddress import ip_network

import httpx
import pytest

from boxoffice.config import get_settings
from tests.conftest import POSTGRES_URL
from tests.support.app import app_client
from tests.support.rush import boxoffice, running_server, server_environment, sqlite_database_url
from tests.support.shop import choose, paid_order

REQUEST_ID = re.compile(r"^[0-9a-f]{16}$")


async def test_every_answer_carries_its_own_request_id_which_an_error_page_shows(client):
    page = await client.get("/")
    missing = await client.get("/backoffice/no-such-page")

    ids = [page.headers["x-request-id"], missing.headers["x-request-id"]]
    assert all(REQUEST_ID.match(request_id) for request_id in ids) and ids[0] != ids[1]
    assert missing.status_code == 404
    assert f"reference {ids[1]}" in missing.text


async def test_metrics_count_requests_by_route_and_read_holds_sales_and_the_outbox(shop, show, fake_stripe):
    performance_id, types = show
    await paid_order(shop, performance_id, {types["Adult"]: "2"}, fake_stripe)
    await choose(shop, performance_id, {types["Concession"]: "1"})

    metrics = await shop.get("/metrics")

    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    route = r'route="/performances/\{performance_id\}/hold"'
    assert re.search(rf'boxoffice_http_requests_total\{{method="POST",{route},status="303"\}} [1-9]', text)
    assert re.search(rf'boxoffice_http_request_duration_seconds_count\{{method="POST",{route}\}} [1-9]', text)
    assert "boxoffice_seats_held 1.0" in text and "boxoffice_holds 1.0" in text
    assert 'boxoffice_payments_24h{currency="GBP",method="stripe"} 1.0' in text
    assert 'boxoffice_payments_24h_amount{currency="GBP",method="stripe"} 4800.0' in text
    assert 'boxoffice_outbox_messages{status="queued"} 1.0' in text  # the confirmation
    assert "boxoffice_workers_alive 0.0" in text


async def test_metrics_are_refused_outside_the_monitoring_networks(database):
    settings = get_settings()
    async with app_client(settings, client_ip="203.0.113.9") as outsider:
        assert (await outsider.get("/metrics")).status_code == 403
    monitoring = replace(settings, metrics_allowed_networks=(ip_network("203.0.113.0/24"),))
    async with app_client(monitoring, client_ip="203.0.113.9") as prometheus:
        assert (await prometheus.get("/metrics")).status_code == 200


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the server runs on a SQLite file of its own")
def test_a_served_app_logs_json_lines_with_request_ids_and_adds_up_its_workers_metrics(tmp_path):
    env = server_environment(sqlite_database_url(tmp_path / "boxoffice.sqlite3")) | {
        "BOXOFFICE_LOG_FORMAT": "json"
    }
    boxoffice(env, tmp_path, "demo")
    with running_server(env, tmp_path, workers=2, arguments=("--access-log",)) as server:
        answered = [httpx.get(f"{server.base_url}/calendar") for _ in range(20)]  # a connection each
        metrics = httpx.get(f"{server.base_url}/metrics").text
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]

    assert 'boxoffice_http_requests_total{method="GET",route="/calendar",status="200"} 20.0' in metrics
    logged = {line["request_id"] for line in lines if '"GET /calendar' in line["message"]}
    assert logged == {answer.headers["x-request-id"] for answer in answered}
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[0])
    assert any(line["logger"] == "uvicorn.error" for line in lines)


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the worker runs on a SQLite file of its own")
def test_the_worker_logs_json_lines_too(tmp_path):
    env = server_environment(sqlite_database_url(tmp_path / "boxoffice.sqlite3")) | {
        "BOXOFFICE_LOG_FORMAT": "json"
    }
    boxoffice(env, tmp_path, "migrate")
    worker = subprocess.Popen(
        [sys.executable, "-m", "boxoffice.cli", "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    logged: list[str] = []
    reader = threading.Thread(target=lambda: logged.extend(worker.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while not any("no SMTP server is configured" in line for line in logged):
        assert time.monotonic() < deadline and worker.poll() is None, logged
        time.sleep(0.1)
    worker.terminate()
    worker.wait(timeout=20)
    reader.join(timeout=5)

    lines = [json.loads(line) for line in logged]
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[0])
    assert all(line["request_id"] == "" for line in lines)

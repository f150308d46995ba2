"""Crash drills: real `boxoffice serve` and `boxoffice worker` processes killed with SIGKILL inside the
critical windows of a sale and of sending e-mail (see boxoffice/crash_points.py), restarted, and checked
for what a crash must never cost: a paid order, a second payment, a second ticket, a seat sold twice, an
e-mail sent otherwise than the README promises. Each drill says what it did and found at the end of the
run (in pytest's summary).

Each test gets a database of its own: a SQLite file in its temporary folder, or the PostgreSQL database
named after `POSTGRES_TEST_URL`'s with `_drill` added, created before the test and dropped after it.
Without a reachable PostgreSQL server the PostgreSQL runs are skipped, except in CI (`CI=true`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.postgres import PostgresUnreachable, bench_database
from tests.support.rush import with_database_name

POSTGRES_SERVER_URL = os.environ.get(
    "POSTGRES_TEST_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_test"
)
FINDINGS: list[str] = []


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on the engine the test is parametrised with ("sqlite" or "postgres")."""
    name = urlsplit(POSTGRES_SERVER_URL).path.lstrip("/")
    try:
        with bench_database(
            request.param, with_database_name(POSTGRES_SERVER_URL, f"{name}_drill"), tmp_path
        ) as url:
            yield url
    except PostgresUnreachable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is needed in CI and is unreachable: {error}")
        pytest.skip(f"PostgreSQL is unreachable: {error}")


@pytest.fixture
def report(request: pytest.FixtureRequest):
    """Note a line of what the drill did or found; all are printed at the end of the run."""

    started = time.monotonic()

    def note(line: str) -> None:
        FINDINGS.append(f"[{request.node.name} {time.monotonic() - started:5.1f} s] {line}")

    return note


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FINDINGS:
        terminalreporter.section("Drills: what each did and found")
        for line in FINDINGS:
            terminalreporter.write_line(line)

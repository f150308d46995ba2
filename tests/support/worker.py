"""A real `boxoffice worker` process sending through the test's SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from boxoffice.config import get_settings
from boxoffice.db import PooledSQLiteEngine, current_engine
from tests.support.smtp import SENDER_ADDRESS, SmtpServer

SENDER = f"Town Hall Box Office <{SENDER_ADDRESS}>"


def worker_env() -> dict[str, str]:
    """The test process's settings, pointed at this test's database."""
    engine = current_engine()
    if isinstance(engine, PooledSQLiteEngine):
        url = f"sqlite:///{os.path.abspath(engine.path)}"
    else:
        url = get_settings().database_url.url
    return {**os.environ, "BOXOFFICE_DATABASE_URL": url}


@contextmanager
def worker_process(
    env: dict[str, str],
    smtp_server: SmtpServer,
    *,
    campaign_rate_per_minute: int,
    poll_seconds: float = 0.1,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """`boxoffice worker` with `env` (its database, base URL and secrets), in `cwd` (where a PostgreSQL
    set-up keeps its ticket key, under var/), stopped when the block ends if the test has not killed it
    already."""
    process = subprocess.Popen(
        [sys.executable, "-m", "boxoffice.cli", "worker", "--poll-seconds", str(poll_seconds)],
        env={
            **env,
            "BOXOFFICE_SMTP_HOST": smtp_server.host,
            "BOXOFFICE_SMTP_PORT": str(smtp_server.port),
            "BOXOFFICE_SMTP_STARTTLS": "false",
            "BOXOFFICE_MAIL_FROM": SENDER,
            "BOXOFFICE_CAMPAIGN_RATE_PER_MINUTE": str(campaign_rate_per_minute),
        },
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)

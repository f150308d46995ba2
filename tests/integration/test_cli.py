"""The `boxoffice` command, run as a person would run it, against a SQLite file of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="the command runs on a SQLite file of its own")


def run(database: Path, *arguments: str, keys: str | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "BOXOFFICE_DATABASE_URL": f"sqlite:///{database}",
        "BOXOFFICE_ENCRYPTION_KEYS": keys or os.environ["BOXOFFICE_ENCRYPTION_KEYS"],
    }
    return subprocess.run(
        [sys.executable, "-m", "boxoffice.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_staff_makes_an_account_and_refuses_bad_input(tmp_path):
    database = tmp_path / "cli.sqlite3"
    made = run(
        database,
        "create-staff",
        "--email",
        "Door@Venue.example",
        "--name",
        "Dee",
        "--role",
        "door staff",
        "--password",
        "a long enough passphrase",
    )
    assert made.returncode == 0, made.stderr
    assert "for door@venue.example" in made.stdout

    weak = run(
        database,
        "create-staff",
        "--email",
        "x@venue.example",
        "--name",
        "X",
        "--role",
        "Admin",
        "--password",
        "short",
    )
    assert weak.returncode != 0 and "Use at least 12 characters." in weak.stderr
    unknown = run(
        database,
        "create-staff",
        "--email",
        "y@venue.example",
        "--name",
        "Y",
        "--role",
        "Janitor",
        "--password",
        "a long enough passphrase",
    )
    assert (
        unknown.returncode != 0
        and "no role called 'Janitor'" in unknown.stderr
        and "Door staff" in unknown.stderr
    )
    again = run(
        database,
        "create-staff",
        "--email",
        "door@venue.example",
        "--name",
        "Dee",
        "--role",
        "Admin",
        "--password",
        "a long enough passphrase",
    )
    assert again.returncode != 0 and "already exists" in again.stderr


def test_demo_prints_a_working_admin_login_and_keeps_it(tmp_path):
    database = tmp_path / "demo.sqlite3"
    first = run(database, "demo")
    second = run(database, "demo")

    assert first.returncode == 0 and second.returncode == 0, first.stderr
    login_line = next(line for line in first.stdout.splitlines() if line.startswith("Staff login"))
    assert login_line == next(line for line in second.stdout.splitlines() if line.startswith("Staff login"))
    password = login_line.rsplit(" / ", 1)[1]
    assert len(password) >= 12 and (tmp_path / "demo-admin-password.txt").stat().st_mode & 0o077 == 0


def test_rotating_the_encryption_key_re_encrypts_two_factor_secrets(tmp_path):
    database = tmp_path / "rotate.sqlite3"
    old_key, new_key = os.environ["BOXOFFICE_ENCRYPTION_KEYS"], Fernet.generate_key().decode()
    assert run(database, "migrate").returncode == 0
    secret_token = Fernet(old_key.encode()).encrypt(b"JBSWY3DPEHPK3PXP").decode()
    insert_enrolled_user(database, secret_token)

    rotated = run(database, "rotate-encryption-key", keys=f"{new_key},{old_key}")

    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 1 secret(s)" in rotated.stdout
    stored = read_secret(database)
    assert stored != secret_token
    assert Fernet(new_key.encode()).decrypt(stored.encode()) == b"JBSWY3DPEHPK3PXP"


def insert_enrolled_user(database: Path, secret_token: str) -> None:
    import sqlite3

    with sqlite3.connect(database) as connection:
        role_id = connection.execute("SELECT id FROM role WHERE builtin = 'admin'").fetchone()[0]
        connection.execute(
            "INSERT INTO staff_user (email, name, password_hash, role, active, suspended, failed_attempts,"
            " totp_secret, session_epoch, created_at) VALUES ('a@venue.example', 'A', 'x', ?, 1, 0, 0, ?, 0,"
            " '2026-01-01T00:00:00+00:00')",
            (role_id, secret_token),
        )


def read_secret(database: Path) -> str:
    import sqlite3

    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT totp_secret FROM staff_user").fetchone()[0]

"""How PostgreSQL's client tools are called: the password never on a command line others can read."""

from __future__ import annotations

import shutil

import pytest

from boxoffice.backups.archive import BackupRefused
from boxoffice.backups.postgres import tool


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="PostgreSQL's client tools are not installed")
def test_the_password_goes_to_the_environment_never_the_command_line():
    command, environment = tool(
        "pg_dump", "postgresql://box:s%40cret@db.internal:5432/boxoffice?sslmode=require"
    )

    assert not [part for part in command if "cret" in part]
    assert environment["PGPASSWORD"] == "s@cret"
    assert command[-1] == "--dbname=postgresql://box@db.internal:5432/boxoffice?sslmode=require"


def test_a_missing_tool_is_named_with_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(BackupRefused, match=r"pg_restore was not found on the PATH.*postgresql-client"):
        tool("pg_restore", "postgresql://box@db.internal/boxoffice")

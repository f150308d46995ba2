"""Settings read from `BOXOFFICE_*` environment variables.

They are parsed and validated once, at start-up: a wrong value stops the process with a message that
names the variable, rather than failing later in the middle of a request.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/boxoffice.sqlite3"


class SettingsError(ValueError):
    """An environment variable holds a value Boxoffice cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """Where the data lives: a SQLite file or a PostgreSQL server."""

    url: str

    @property
    def engine(self) -> str:
        return "sqlite" if self.url.startswith("sqlite:") else "postgres"

    @property
    def sqlite_path(self) -> Path:
        """The file of a `sqlite:///relative/path` or `sqlite:////absolute/path` URL."""
        return Path(self.url.removeprefix("sqlite:///"))

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        if parts.password:
            return self.url.replace(f":{parts.password}@", ":***@", 1)
        return self.url


def parse_database_url(raw: str) -> DatabaseURL:
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        if not raw.startswith("sqlite:///") or raw == "sqlite:///":
            raise ValueError("a SQLite URL names a file: sqlite:///var/boxoffice.sqlite3")
        return DatabaseURL(raw)
    if parts.scheme in {"postgresql", "postgres"}:
        if not parts.hostname or parts.path in {"", "/"}:
            raise ValueError("a PostgreSQL URL names a host and a database: postgresql://user@host:5432/name")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as error:
            raise ValueError(f"the port is not a number ({error})") from None
        return DatabaseURL(raw)
    raise ValueError("use sqlite:///path/to/file or postgresql://user@host:5432/name")


def parse_positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{raw!r} is not true or false")


def setting(default: Any, parse: Callable[[str], Any], description: str) -> Any:
    """Declare a setting: its default, how its text is parsed, and what it is for."""
    return field(default=default, metadata={"parse": parse, "description": description})


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: DatabaseURL = setting(
        DatabaseURL(DEFAULT_DATABASE_URL),
        parse_database_url,
        "Where data is kept: `sqlite:///path` (relative to the working directory) or `postgresql://...`.",
    )
    database_pool_size: int = setting(
        8, parse_positive_int, "Open database connections kept by each worker process."
    )
    debug: bool = setting(
        False, parse_bool, "Reload templates when they change. Never shows stack traces to visitors."
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read every `BOXOFFICE_<FIELD>` variable that is set; the rest keep their defaults."""
        values = {}
        for spec in fields(cls):
            variable = env_name(spec.name)
            raw = environ.get(variable)
            if raw is None:
                continue
            try:
                values[spec.name] = spec.metadata["parse"](raw)
            except ValueError as error:
                raise SettingsError(variable, str(error)) from None
        return cls(**values)


def env_name(field_name: str) -> str:
    return f"BOXOFFICE_{field_name.upper()}"


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read from its environment on first use."""
    return Settings.from_environ(os.environ)

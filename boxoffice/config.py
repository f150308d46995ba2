"""Settings read from `BOXOFFICE_*` environment variables.

They are parsed and validated once, at start-up: a wrong value stops the process with a message that
names the variable, rather than failing later in the middle of a request.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from email.message import EmailMessage
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from boxoffice.secretbox import new_key, parse_keys

DEFAULT_DATABASE_URL = "sqlite:///var/boxoffice.sqlite3"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


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


def parse_base_url(raw: str) -> str:
    """The address visitors use. Plain http is only for this machine: cookies are Secure everywhere else."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("use the address visitors type, such as https://tickets.example.org")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError("plain http is only allowed for localhost; use https")
    return raw.strip().rstrip("/")


def parse_networks(raw: str) -> tuple[IPv4Network | IPv6Network, ...]:
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR range such as 192.0.2.0/24") from None
    return tuple(networks)


def parse_log_format(raw: str) -> str:
    lowered = raw.strip().lower()
    if lowered not in {"text", "json"}:
        raise ValueError(f"{raw!r} is neither text nor json")
    return lowered


def parse_secret_key(raw: str) -> str:
    if len(raw) < 32:
        raise ValueError(
            "use at least 32 random characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return raw


def parse_port(raw: str) -> int:
    value = parse_positive_int(raw)
    if value > 65535:
        raise ValueError("must be 65535 or less")
    return value


def parse_mail_from(raw: str) -> str:
    """A From value: `box@venue.example` or `Town Hall <box@venue.example>`."""
    message = EmailMessage()
    message["From"] = raw.strip()  # raises ValueError on line breaks
    addresses = message["From"].addresses
    if len(addresses) != 1 or not addresses[0].domain:
        raise ValueError("use one address, such as `Town Hall Box Office <boxoffice@townhall.example>`")
    return raw.strip()


def parse_whole_number(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{raw!r} is not true or false")


def parse_backup_keys(raw: str) -> tuple[bytes, ...]:
    """Comma-separated keys of 32 random bytes in URL-safe base64, the one to write with first. A bad key
    is named by its position, never shown."""
    pieces = [piece.strip() for piece in raw.split(",") if piece.strip()]
    if not pieces:
        raise ValueError("no key given; make one with `boxoffice new-backup-key`")
    keys = []
    for position, piece in enumerate(pieces, start=1):
        try:
            key = base64.urlsafe_b64decode(piece.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            key = b""
        if len(key) != 32:
            raise ValueError(
                f"key {position} of {len(pieces)} is not 32 bytes in URL-safe base64 "
                "(44 characters, as `boxoffice new-backup-key` prints them)"
            )
        keys.append(key)
    return tuple(keys)


def parse_folder(raw: str) -> str:
    if not raw.strip():
        raise ValueError("name a folder, such as /srv/backups/boxoffice")
    return raw.strip()


def setting(default: Any, parse: Callable[[str], Any], description: str, *, secret: bool = False) -> Any:
    """Declare a setting: its default, how its text is parsed, and what it is for. A secret one is left
    out of the settings' repr, so it never reaches a log by accident."""
    return field(default=default, repr=not secret, metadata={"parse": parse, "description": description})


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
    base_url: str = setting(
        "http://127.0.0.1:8000",
        parse_base_url,
        "The address visitors use, for links in e-mails. Plain http only for localhost; cookies are "
        "marked Secure whenever it is https.",
    )
    secret_key: str = setting(
        "",
        parse_secret_key,
        "Signs CSRF tokens and keys recovery-code digests; 32 or more random characters. Required with "
        "PostgreSQL; on SQLite one is made and kept in the database's folder when unset.",
        secret=True,
    )
    encryption_keys: tuple[bytes, ...] = setting(
        (),
        lambda raw: tuple(parse_keys(raw)),
        "Fernet keys, comma-separated, newest first, that encrypt secrets at rest (two-factor seeds). "
        "Required with PostgreSQL; on SQLite one is made and kept in the database's folder when unset. "
        "`boxoffice rotate-encryption-key` re-encrypts everything under the first key.",
        secret=True,
    )
    staff_idle_minutes: int = setting(30, parse_positive_int, "A staff session ends after this long unused.")
    staff_session_hours: int = setting(12, parse_positive_int, "A staff session ends this long after login.")
    lockout_threshold: int = setting(
        10, parse_positive_int, "Failed passwords or codes in a row that suspend a staff account."
    )
    login_attempts_per_ip: int = setting(
        20,
        parse_positive_int,
        "Login attempts one address may make in 10 minutes, before any password is checked.",
    )
    staff_allowed_networks: tuple[IPv4Network | IPv6Network, ...] = setting(
        (),
        parse_networks,
        "CIDR ranges, comma-separated, from which staff pages and the login page may be opened; empty "
        "allows any address. Behind a proxy, also set BOXOFFICE_FORWARDED_ALLOW_IPS.",
    )
    metrics_allowed_networks: tuple[IPv4Network | IPv6Network, ...] = setting(
        parse_networks("127.0.0.0/8 ::1/128"),
        parse_networks,
        "CIDR ranges, comma-separated, from which /metrics (Prometheus) may be read; others get 403. "
        "Behind a proxy, also set BOXOFFICE_FORWARDED_ALLOW_IPS.",
    )
    log_format: str = setting(
        "text",
        parse_log_format,
        "`text` for lines people read, `json` for one JSON object a line (time, level, logger, message, "
        "request_id, exception) for a log collector.",
    )

    smtp_host: str = setting(
        "",
        str.strip,
        "SMTP server that `boxoffice worker` sends e-mail through; unset keeps e-mail in the outbox, "
        "readable in the back office.",
    )
    smtp_port: int = setting(587, parse_port, "Port of the SMTP server (465 with BOXOFFICE_SMTP_TLS).")
    smtp_username: str = setting("", str, "Login for the SMTP server; empty sends without logging in.")
    smtp_password: str = setting("", str, "Password for the SMTP login.", secret=True)
    smtp_starttls: bool = setting(
        True,
        parse_bool,
        "Upgrade the SMTP connection with STARTTLS, and refuse to send if the server cannot.",
    )
    smtp_tls: bool = setting(
        False, parse_bool, "Speak TLS from the first byte (port 465) instead of STARTTLS."
    )
    mail_from: str = setting(
        "",
        parse_mail_from,
        "From address of e-mail, e.g. `Town Hall Box Office <boxoffice@townhall.example>`.",
    )

    campaign_rate_per_minute: int = setting(
        120,
        parse_positive_int,
        "Marketing e-mails `boxoffice worker` releases into the outbox each minute, across all campaigns; "
        "order confirmations never wait behind a campaign.",
    )
    catalog_cache_seconds: int = setting(
        1,
        parse_whole_number,
        "How long each worker keeps the public listing pages; 0 turns this off. Seats are never sold from "
        "it: every hold checks the database.",
    )
    ticket_key_file: str = setting(
        "",
        str.strip,
        "File holding the Ed25519 key that signs ticket QR codes, made on first use; default: "
        "ticket-signing.key beside the SQLite database, or var/ticket-signing.key with PostgreSQL.",
    )
    backup_keys: tuple[bytes, ...] = setting(
        (),
        parse_backup_keys,
        "Keys, comma-separated, newest first, that encrypt backups: `boxoffice backup` writes with the "
        "first, restoring reads with whichever made the file. Make one with `boxoffice new-backup-key`.",
        secret=True,
    )
    backup_dir: str = setting(
        "var/backups", parse_folder, "The folder `boxoffice backup` writes into (made private if missing)."
    )
    backup_keep: int = setting(
        14, parse_positive_int, "How many backups `boxoffice backup` keeps: the newest; older ones go."
    )
    stripe_secret_key: str = setting(
        "",
        str.strip,
        "Stripe secret API key; unset hides card payment (buyers may reserve instead).",
        secret=True,
    )
    stripe_webhook_secret: str = setting(
        "",
        str.strip,
        "Signing secret of the Stripe webhook endpoint pointing at /webhooks/stripe.",
        secret=True,
    )
    stripe_api_base: str = setting(
        "", str.strip, "Another address for Stripe's API (stripe-mock, a proxy); empty uses Stripe's own."
    )

    @property
    def card_payments(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def staff_network_allows(self, address: str) -> bool:
        return not self.staff_allowed_networks or address_in(address, self.staff_allowed_networks)

    def metrics_network_allows(self, address: str) -> bool:
        return address_in(address, self.metrics_allowed_networks)

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
        settings = cls(**values)
        if settings.database_url.engine == "postgres":
            for name in ("secret_key", "encryption_keys"):
                if not getattr(settings, name):
                    raise SettingsError(env_name(name), "must be set when the database is PostgreSQL")
        if settings.stripe_secret_key and not settings.stripe_webhook_secret:
            raise SettingsError(
                env_name("stripe_webhook_secret"), "must be set when BOXOFFICE_STRIPE_SECRET_KEY is"
            )
        if settings.database_url.engine == "postgres" and not settings.ticket_key_file:
            settings = replace(settings, ticket_key_file="var/ticket-signing.key")
        if settings.smtp_host and not settings.mail_from:
            raise SettingsError(env_name("mail_from"), "must be set when BOXOFFICE_SMTP_HOST is")
        return settings


def address_in(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        client = ip_address(address)
    except ValueError:
        return False
    return any(client in network for network in networks)


def env_name(field_name: str) -> str:
    return f"BOXOFFICE_{field_name.upper()}"


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read from its environment on first use."""
    settings = Settings.from_environ(os.environ)
    if settings.database_url.engine == "sqlite":
        settings = with_local_secrets(settings)
    return settings


def with_local_secrets(settings: Settings) -> Settings:
    """Fill unset secrets for the embedded SQLite set-up from files beside the database, made on first run.

    The files are readable by their owner only; they belong with the database they protect, and a
    backup of one without the other would be of no use.
    """
    folder = settings.database_url.sqlite_path.parent
    secret_key = settings.secret_key or read_or_create(
        folder / "secret.key", lambda: secrets.token_urlsafe(48)
    )
    encryption_keys = settings.encryption_keys or tuple(
        parse_keys(read_or_create(folder / "encryption.keys", new_key))
    )
    ticket_key_file = settings.ticket_key_file or str(folder / "ticket-signing.key")
    return replace(
        settings, secret_key=secret_key, encryption_keys=encryption_keys, ticket_key_file=ticket_key_file
    )


def make_private_folder(folder: Path) -> None:
    """Create `folder` (and any missing parents) for its owner's eyes only: it will hold personal data and
    keys. A folder that already exists is left as it is: it may be shared, like the current directory."""
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700, parents=True)


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    make_private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(make())
    return path.read_text().strip()

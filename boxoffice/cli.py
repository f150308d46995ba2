"""The `boxoffice` command."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from boxoffice.config import SettingsError, get_settings

if TYPE_CHECKING:
    from boxoffice.backups.service import Checked

Result = TypeVar("Result")
SALES_MAINTENANCE_SECONDS = 30
RETENTION_SECONDS = 3600


@click.group()
def main() -> None:
    """Boxoffice: ticketing and CRM for venues."""
    try:
        get_settings()
    except SettingsError as error:
        raise click.ClickException(f"invalid setting {error}") from None


def run_prepared(work: Callable[[], Awaitable[Result]]) -> Result:
    """Bring the database up to date, run `work`, and release the connections."""
    from boxoffice.bootstrap import prepare_database
    from boxoffice.db import close_database

    async def run() -> Result:
        try:
            await prepare_database()
            return await work()
        finally:
            await close_database()

    return asyncio.run(run())


async def nothing() -> None:
    return None


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    run_prepared(nothing)


@main.command()
def demo() -> None:
    """Migrate, then add the demo venue, events and admin once, and print the admin's login."""
    from boxoffice.demo import seed_demo, seed_demo_admin

    async def seed() -> tuple[bool, tuple[str, str]]:
        return await seed_demo(), await seed_demo_admin(get_settings())

    added, (email, password) = run_prepared(seed)
    click.echo("Demo data added." if added else "Demo data is already there.")
    click.echo(f"Staff login for http://127.0.0.1:8000/backoffice/ : {email} / {password}")
    click.echo("You will be asked to set up two-factor sign-in with an authenticator app.")


@main.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "role_name", required=True, help="A role's name, such as Admin or 'Door staff'.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given; give it only in scripts.",
)
def create_staff(email: str, name: str, role_name: str, password: str) -> None:
    """Create a staff account."""
    from boxoffice.auth import accounts, passwords
    from boxoffice.auth.tables import Role

    async def create() -> int:
        role = await Role.select(Role.id).where(Role.name.ilike(role_name)).first()
        if role is None:
            names = ", ".join(row["name"] for row in await Role.select(Role.name).order_by(Role.name))
            raise click.ClickException(f"no role called {role_name!r}; roles: {names}")
        try:
            return await accounts.create_staff(
                email=email,
                name=name,
                password=password,
                role_id=role["id"],
                actor_id=None,
                ip="command line",
            )
        except (accounts.AccountRefused, passwords.PasswordRejected) as refusal:
            raise click.ClickException(str(refusal)) from None

    user_id = run_prepared(create)
    click.echo(f"Created staff account {user_id} for {email.strip().lower()}.")


@main.command("new-encryption-key")
def new_encryption_key() -> None:
    """Print a new key to put first in BOXOFFICE_ENCRYPTION_KEYS."""
    from boxoffice.secretbox import new_key

    click.echo(new_key())


@main.command("rotate-encryption-key")
def rotate_encryption_key() -> None:
    """Re-encrypt every secret under the first key of BOXOFFICE_ENCRYPTION_KEYS.

    Put a new key first, keep the old ones after it, run this, then drop the old keys."""
    from boxoffice.auth.secrets import reencrypt_secrets
    from boxoffice.secretbox import SecretBox

    count = run_prepared(lambda: reencrypt_secrets(SecretBox(get_settings().encryption_keys)))
    click.echo(f"Re-encrypted {count} secret(s) under the current key.")


@main.command("new-backup-key")
def new_backup_key() -> None:
    """Print a new key to put first in BOXOFFICE_BACKUP_KEYS."""
    from boxoffice.backups.sealing import new_backup_key

    click.echo(new_backup_key())


def run_backup_work(work: Callable[[], Awaitable[Result]]) -> Result:
    """Run a backup command's work: a refusal, or a file or database that fails under it (a full disk),
    becomes the command's error message and exit status 1."""
    import sqlite3

    from boxoffice.backups.archive import BackupRefused

    try:
        return asyncio.run(work())
    except BackupRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    except (OSError, sqlite3.Error) as error:
        raise click.ClickException(f"could not finish: {error}") from None


@main.command()
def backup() -> None:
    """Back the database up while the service runs: one consistent snapshot, encrypted under the first of
    BOXOFFICE_BACKUP_KEYS, into BOXOFFICE_BACKUP_DIR, keeping the newest BOXOFFICE_BACKUP_KEEP."""
    import time

    from boxoffice.backups.service import make_backup

    settings = get_settings()
    started = time.perf_counter()
    made = run_backup_work(lambda: make_backup(settings))
    size = made.path.stat().st_size
    click.echo(
        f"Backed up {len(made.manifest.tables)} tables, {made.manifest.rows:,} rows, to {made.path} "
        f"({size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s."
    )
    if made.removed:
        click.echo(
            f"Deleted {len(made.removed)} older backup(s), keeping the newest {settings.backup_keep}: "
            + ", ".join(path.name for path in made.removed)
        )


def report(checked: Checked) -> None:
    for line in checked.good:
        click.echo(f"  ok: {line}")
    for line in checked.wrong:
        click.echo(f"  PROBLEM: {line}", err=True)


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def restore(file: Path) -> None:
    """Restore the backup FILE into the database of BOXOFFICE_DATABASE_URL, which must be empty (a new
    SQLite file, or a database made with `createdb`). Stop the service first; start it afterwards."""
    from boxoffice.backups.service import restore_backup

    settings = get_settings()
    checked = run_backup_work(lambda: restore_backup(settings, file))
    click.echo(f"Restored {file.name}, taken {checked.manifest.taken_at}, into {settings.database_url}.")
    report(checked)
    if checked.wrong:
        raise click.ClickException("the restored database is not as the backup described it (above)")


@main.command("verify-backup")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def verify_backup(file: Path) -> None:
    """Prove the backup FILE restores: restore it into a scratch database (a temporary SQLite file, or a
    new database on the PostgreSQL server), check it, and drop it. The configured database is not touched."""
    from boxoffice.backups.service import verify_backup

    settings = get_settings()
    checked = run_backup_work(lambda: verify_backup(settings, file))
    click.echo(
        f"Checked {file.name}, taken {checked.manifest.taken_at}, by restoring it into a scratch database:"
    )
    report(checked)
    if checked.wrong:
        raise click.ClickException(f"{file} restores, but not as it should (above): do not rely on it")
    click.echo(f"{file.name} restores.")


@main.command()
@click.option(
    "--poll-seconds",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="How often an empty outbox is looked at again.",
)
@click.option(
    "--rate-per-minute",
    default=None,
    type=click.IntRange(1),
    help="Send at most this many messages a minute (for providers that limit rates).",
)
def worker(poll_seconds: float, rate_per_minute: int | None) -> None:
    """Do the background work until stopped (Ctrl-C or SIGTERM): send queued e-mail through SMTP, release
    marketing campaigns into it at BOXOFFICE_CAMPAIGN_RATE_PER_MINUTE, give back the seats of lapsed
    holds and unpaid orders, make refunds left waiting for Stripe, apply the retention periods to the
    e-mail log, the audit log and lapsed orders, carry out scheduled removals of privacy requests and
    e-mail staff the privacy requests due each day.

    Run one or more anywhere that reaches the database; run `boxoffice migrate` (or serve) first."""
    import logging
    import signal

    from boxoffice.db import close_database, open_database
    from boxoffice.documents.pdf import close_renderer
    from boxoffice.mail.smtp import SmtpSettings
    from boxoffice.mail.worker import run_worker
    from boxoffice.marketing.campaign_sending import MailSettings, run_campaign_sending
    from boxoffice.payments.stripe_gateway import gateway_from_settings
    from boxoffice.privacy.retention import run_retention
    from boxoffice.sales.maintenance import run_sales_maintenance
    from boxoffice.tickets.pdf import ATTACHMENT_MAKERS

    settings = get_settings()
    smtp = (
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            starttls=settings.smtp_starttls and not settings.smtp_tls,
            use_tls=settings.smtp_tls,
            sender=settings.mail_from,
        )
        if settings.smtp_host
        else None
    )
    if settings.log_format == "json":
        from boxoffice.web.observability import JsonLogFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(JsonLogFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler])
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        gateway = gateway_from_settings(settings)
        await open_database(settings)
        try:
            await asyncio.gather(
                run_worker(
                    smtp,
                    poll_seconds=poll_seconds,
                    rate_per_minute=rate_per_minute,
                    attachment_makers=ATTACHMENT_MAKERS,
                    stop=stop,
                ),
                run_sales_maintenance(gateway, every_seconds=SALES_MAINTENANCE_SECONDS, stop=stop),
                run_campaign_sending(
                    settings.campaign_rate_per_minute,
                    MailSettings(base_url=settings.base_url, secret_key=settings.secret_key),
                    stop=stop,
                ),
                run_retention(every_seconds=RETENTION_SECONDS, stop=stop, base_url=settings.base_url),
            )
        finally:
            await close_renderer()
            await close_database()
            if gateway is not None:
                await gateway.aclose()

    asyncio.run(run())
    click.echo("Worker stopped.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="BOXOFFICE_HOST")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), envvar="BOXOFFICE_PORT"
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="BOXOFFICE_WORKERS",
    help="Worker processes; each keeps its own database connections.",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log every request (a reverse proxy usually does this already).",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    envvar="BOXOFFICE_FORWARDED_ALLOW_IPS",
    help="Proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed.",
)
@click.option(
    "--shutdown-seconds",
    default=30,
    show_default=True,
    type=click.IntRange(1, 3600),
    envvar="BOXOFFICE_SHUTDOWN_SECONDS",
    help="On SIGTERM, how long requests in flight may take to finish before they are cut off.",
)
def serve(
    host: str, port: int, workers: int, access_log: bool, forwarded_allow_ips: str, shutdown_seconds: int
) -> None:
    """Migrate, then serve the app over HTTP. On SIGTERM (or Ctrl-C) each worker stops taking new
    connections, finishes the requests in flight (for up to --shutdown-seconds), then exits."""
    import uvicorn

    run_prepared(nothing)
    shared_metrics_folder(port)
    # Only now: prometheus-client reads PROMETHEUS_MULTIPROC_DIR on import, and with one worker the app is
    # served from this very process.
    from boxoffice.web.observability import uvicorn_json_log_config

    json_logs = get_settings().log_format == "json"
    click.echo(f"Boxoffice is serving on http://{host}:{port}/ with {workers} worker(s).")
    uvicorn.run(
        "boxoffice.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
        server_header=False,
        timeout_graceful_shutdown=shutdown_seconds,
        **({"log_config": uvicorn_json_log_config()} if json_logs else {}),
    )


def shared_metrics_folder(port: int) -> None:
    """Where the web workers keep their request metrics for /metrics to add up (prometheus-client's
    multiprocess mode): PROMETHEUS_MULTIPROC_DIR if set, else var/metrics-PORT, private, emptied of an
    earlier run's files. A folder of its own per port, so that two servers on one machine never add up
    each other's; it is kept when serving ends, since uvicorn ends the process with the signal that
    stopped it. Set before the app is imported, since the library reads it then."""
    import os
    from pathlib import Path

    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or f"var/metrics-{port}").absolute()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


if __name__ == "__main__":
    sys.exit(main())

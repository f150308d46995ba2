"""The `boxoffice` command."""

from __future__ import annotations

import asyncio
import sys

import click

from boxoffice.config import SettingsError, get_settings


@click.group()
def main() -> None:
    """Boxoffice: ticketing and CRM for venues."""
    try:
        get_settings()
    except SettingsError as error:
        raise click.ClickException(f"invalid setting {error}") from None


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from boxoffice.db import close_database, migrate

    async def run() -> None:
        try:
            await migrate()
        finally:
            await close_database()

    asyncio.run(run())


@main.command()
def demo() -> None:
    """Migrate, then add the demo venue and events (once: running it again changes nothing)."""
    from boxoffice.db import close_database, migrate
    from boxoffice.demo import seed_demo

    async def run() -> bool:
        try:
            await migrate()
            return await seed_demo()
        finally:
            await close_database()

    added = asyncio.run(run())
    click.echo("Demo data added." if added else "Demo data is already there.")


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
def serve(host: str, port: int, workers: int, access_log: bool, forwarded_allow_ips: str) -> None:
    """Migrate, then serve the app over HTTP."""
    import uvicorn

    from boxoffice.db import close_database, migrate

    async def run_migrations() -> None:
        try:
            await migrate()
        finally:
            await close_database()

    asyncio.run(run_migrations())
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
    )


if __name__ == "__main__":
    sys.exit(main())

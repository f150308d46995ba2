"""Staff lists at a large venue's size: how long one page of each takes, with its count.

    .venv/bin/python bench/lists.py --engine sqlite|postgres --contacts 200000 --orders 400000 \\
        --campaigns 100 --recipients 5000 --audit 2000000 --emails 1000000

Fills a database of its own (the migrated schema, then rows written by SQL in bulk, about 2% of the
contacts duplicated under each rule and `--dismissed` of the pairs marked as two people), then calls the
services behind each list page (contacts, orders, duplicates, campaigns, the audit and e-mail logs) as
the pages do: the first page, the last page and a filtered one, each with its total. Prints the machine,
the sizes, how long filling took, and the median of `--repeat` calls of each, in milliseconds. Services
are called in this process; no server runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is shared with the tests

from tests.support.postgres import PostgresUnreachable, drop_database, recreate_database
from tests.support.rush import database_version, machine_description, sqlite_database_url

STAMP = "2026-01-01 12:00:00+00:00"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=400_000)
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--recipients", type=int, default=5_000, help="recipients of each campaign")
    parser.add_argument("--dismissed", type=int, default=1_000, help="duplicate pairs marked as two people")
    parser.add_argument("--audit", type=int, default=2_000_000, help="audit log entries")
    parser.add_argument("--emails", type=int, default=1_000_000, help="e-mail log messages")
    parser.add_argument("--repeat", type=int, default=3, help="calls of each list, the median printed")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/boxoffice_bench_lists",
        help="with --engine postgres: a database to drop, create, use and drop",
    )
    options = parser.parse_args()
    if min(options.contacts, options.orders, options.campaigns, options.audit, options.emails) < 1:
        parser.error("every size must be at least 1")
    options.recipients = min(options.recipients, options.contacts)
    return options


def numbers(count: int) -> str:
    """A subquery of the numbers 1..count as `n.i`, in SQL both engines read."""
    return (
        f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})"
        " SELECT i FROM n) AS n"
    )


def fill_statements(options: argparse.Namespace) -> list[tuple[str, str]]:
    """(what, SQL) to fill the lists. Every 50th contact repeats the one before under each rule."""
    contacts, recipients = options.contacts, options.recipients
    return [
        (
            f"{contacts:,} contacts",
            "INSERT INTO contact (first_name, last_name, email, phone, postcode, restricted, created_at,"
            " updated_at) SELECT"
            " CASE WHEN i % 50 = 1 THEN 'Name' || (i - 1) ELSE 'Name' || i END,"
            " CASE WHEN i % 50 = 1 THEN 'Family' || ((i - 1) % 97) ELSE 'Family' || (i % 97) END,"
            " CASE WHEN i % 50 = 0 THEN 'p' || (i - 1) || '@example.org' ELSE 'p' || i || '@example.org' END,"
            " CASE WHEN i % 2 = 1 THEN '' WHEN i % 50 = 2 THEN '0117 ' || (i - 2) ELSE '0117 ' || i END,"
            " CASE WHEN i % 50 = 1 THEN 'BS' || ((i - 1) % 30) || ' 1AA' ELSE 'BS' || (i % 30) || ' 1AA' END,"
            f" {false()}, '{STAMP}', '{STAMP}' FROM {numbers(contacts)}",
        ),
        (
            f"{options.dismissed:,} dismissed duplicate pairs",
            "INSERT INTO dismissed_duplicate (contact, other_contact, dismissed_at)"  # contact i has id i
            f" SELECT i - 1, i, '{STAMP}' FROM {numbers(min(options.dismissed * 50, contacts))}"
            " WHERE i % 50 = 0",
        ),
        (
            f"{options.orders:,} orders",
            'INSERT INTO "order" (reference, channel, status, contact, first_name, last_name, email, phone,'
            " postcode, currency, total, marketing_opt_in, buyer_ip, stripe_session_open, created_at)"
            " SELECT 'R' || i, CASE WHEN i % 3 = 0 THEN 'box_office' ELSE 'online' END,"
            " CASE WHEN i % 40 = 0 THEN 'reserved' WHEN i % 25 = 0 THEN 'refunded' ELSE 'paid' END,"
            f" (i % {contacts}) + 1, 'Name' || (i % {contacts}), 'Family' || (i % 97),"
            f" 'p' || (i % {contacts}) || '@example.org', '', '', 'GBP', 2500, {false()}, '',"
            f" {false()}, '{STAMP}' FROM {numbers(options.orders)}",
        ),
        (
            f"{options.campaigns:,} campaigns",
            "INSERT INTO campaign (subject, body_markdown, status, created_at, updated_at)"
            f" SELECT 'Season ' || i, 'Hello', 'sent', '{STAMP}', '{STAMP}'"
            f" FROM {numbers(options.campaigns)}",
        ),
        (
            f"{options.campaigns * recipients:,} campaign recipients",
            "INSERT INTO campaign_recipient (campaign, contact, status)"
            f" SELECT c.id, n.i, 'queued' FROM campaign c, {numbers(recipients)}",
        ),
        (
            f"{options.audit:,} audit entries",
            "INSERT INTO audit_entry (actor, action, object_type, object_id, ip, detail, at)"
            " SELECT CASE WHEN i % 5 = 0 THEN (SELECT MIN(id) FROM staff_user) ELSE NULL END,"
            " CASE i % 8 WHEN 0 THEN 'login.succeeded' WHEN 1 THEN 'login.failed'"
            " WHEN 2 THEN 'contact.viewed' WHEN 3 THEN 'contact.updated' WHEN 4 THEN 'order.refunded'"
            " WHEN 5 THEN 'tag.created'"
            " WHEN 6 THEN 'contact.removed' ELSE 'settings.updated' END,"
            f" 'contact', '' || i, '10.0.0.1', '', '{STAMP}' FROM {numbers(options.audit)}",
        ),
        (
            f"{options.emails:,} e-mails",
            "INSERT INTO outbox_message (recipient, subject, text_body, headers, kind, status, attempts,"
            " at_most_once, next_attempt_at, last_error, created_at)"
            " SELECT 'p' || i || '@example.org', 'Your tickets: order R' || i, 'Dear guest', '{}',"
            f" 'order_confirmation', 'sent', 1, {false()}, '{STAMP}', '', '{STAMP}'"
            f" FROM {numbers(options.emails)}",
        ),
    ]


def false() -> str:
    return "FALSE" if os.environ["BOXOFFICE_DATABASE_URL"].startswith("postgresql") else "0"


async def fill(options: argparse.Namespace) -> None:
    from piccolo.querystring import QueryString

    from boxoffice.auth import accounts
    from boxoffice.auth.tables import Role
    from boxoffice.bootstrap import prepare_database
    from boxoffice.db import current_engine

    await prepare_database()
    role = await Role.select(Role.id).where(Role.builtin == "admin").first()
    await accounts.create_staff(
        email="bench@venue.example",
        name="Bench",
        password="correct horse battery staple",  # noqa: S106 (a throw-away database)
        role_id=role["id"],
        actor_id=None,
        ip="",
    )
    engine = current_engine()
    for what, sql in fill_statements(options):
        started = time.perf_counter()
        await engine.run_querystring(QueryString(sql.replace("{}", "{{}}")))
        print(f"filled {what} in {time.perf_counter() - started:.1f} s", flush=True)
    # Fresh statistics for the planner; on PostgreSQL the visibility map too, as autovacuum keeps it in
    # a database that has been running a while (index-only scans need it).
    await engine.run_ddl("VACUUM ANALYZE" if engine.engine_type == "postgres" else "ANALYZE")


async def measure(options: argparse.Namespace) -> None:
    from boxoffice.auth import audit
    from boxoffice.auth.tables import StaffUser
    from boxoffice.crm.contacts import ContactSort, search_contacts
    from boxoffice.crm.duplicates import likely_duplicates
    from boxoffice.mail.email_log import recent_messages
    from boxoffice.marketing.campaign_reports import sent_counts
    from boxoffice.marketing.campaigns import list_campaigns
    from boxoffice.paging import FURTHEST_PAGE, PageRequest
    from boxoffice.sales.order_records import search_orders

    staff = await StaffUser.select(StaffUser.id).first()
    first, last = PageRequest(1, 25), PageRequest(FURTHEST_PAGE, 25)

    async def campaigns_page() -> object:
        page = await list_campaigns(first)
        await sent_counts([campaign.id for campaign in page.items])
        return page

    lists: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("contacts, first page", lambda: search_contacts("", page=first)),
        ("contacts, last page", lambda: search_contacts("", page=last)),
        (
            "contacts, newest first, last page",
            lambda: search_contacts("", sort=ContactSort.NEWEST, page=last),
        ),
        ("contacts, searched 'family12'", lambda: search_contacts("family12", page=first)),
        ("orders, first page", lambda: search_orders("", "", first)),
        ("orders, last page", lambda: search_orders("", "", last)),
        ("orders, reserved", lambda: search_orders("", "reserved", first)),
        ("orders, searched 'r12345'", lambda: search_orders("r12345", "", first)),
        ("duplicates, first page", lambda: likely_duplicates(PageRequest(1, 20))),
        ("duplicates, last page", lambda: likely_duplicates(PageRequest(FURTHEST_PAGE, 20))),
        ("campaigns, first page with recipients", campaigns_page),
        ("audit log, first page", lambda: audit.search(audit.AuditFilter(), PageRequest(1, 50))),
        ("audit log, last page", lambda: audit.search(audit.AuditFilter(), PageRequest(FURTHEST_PAGE, 50))),
        ("audit log, one action", lambda: audit.search(audit.AuditFilter(action="order.refunded"))),
        ("audit log, one person", lambda: audit.search(audit.AuditFilter(actor_id=staff["id"]))),
        ("e-mail log, first page", lambda: recent_messages(PageRequest(1, 50))),
        ("e-mail log, last page", lambda: recent_messages(PageRequest(FURTHEST_PAGE, 50))),
    ]
    print(f"{'list':<40} {'total':>10} {'page':>7} {'median ms':>10}")
    for name, call in lists:
        timings = []
        for _ in range(options.repeat):
            started = time.perf_counter()
            page = await call()
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"{name:<40} {page.total:>10,} {page.number:>7,} {statistics.median(timings):>10.1f}", flush=True
        )


async def run(options: argparse.Namespace, database_url: str) -> None:
    from boxoffice.config import get_settings
    from boxoffice.db import close_database, open_database

    await open_database(get_settings())
    try:
        print(f"machine: {machine_description(await database_version(database_url))}")
        await fill(options)
        await measure(options)
    finally:
        await close_database()


def main() -> int:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as folder:
        if options.engine == "sqlite":
            database_url = sqlite_database_url(Path(folder) / "boxoffice.sqlite3")
        else:
            database_url = options.postgres_url
            try:
                asyncio.run(recreate_database(database_url))
            except PostgresUnreachable as error:
                print(f"PostgreSQL is unreachable: {error}", file=sys.stderr)
                return 2
        os.environ.update(
            {
                "BOXOFFICE_DATABASE_URL": database_url,
                "BOXOFFICE_SECRET_KEY": "bench-secret-key-that-is-long-enough-to-use",
                "BOXOFFICE_ENCRYPTION_KEYS": "G7nH0m8x5mQy0hEJ6fNqkQm3J2yq3kQm3J2yq3kQm3I=",
            }
        )
        try:
            asyncio.run(run(options, database_url))
        finally:
            if options.engine == "postgres":
                asyncio.run(drop_database(database_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())

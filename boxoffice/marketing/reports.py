"""The consent report: opt-ins and opt-outs per month, channel and source, and how many online buyers
opt in, as a table, a chart drawn on the server (SVG, no script) and a CSV file.

Counting happens in the database, grouped by month in UTC; the month expression is the one piece that
differs between SQLite (timestamps kept as ISO text) and PostgreSQL. The report covers the months asked
for (12 ending with this one, unless staff choose other months), and reads only the ledger entries and
orders of those months, from indexes that hold all it counts (consent_record (recorded_at, channel,
source, granted) and "order" (channel, status, created_at, marketing_opt_in)): its cost follows the
months shown, never the years of history behind them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from piccolo.engine.postgres import PostgresEngine

from boxoffice.db import current_engine
from boxoffice.marketing.tables import Channel, ConsentRecord, ConsentSource
from boxoffice.sales.tables import OrderChannel, OrderStatus

MONTH_CHOICES = (3, 6, 12, 24)
DEFAULT_MONTHS = 12
SOURCE_LABELS = {
    ConsentSource.ONLINE_CHECKOUT: "Online",
    ConsentSource.BOX_OFFICE: "Box office",
    ConsentSource.UNSUBSCRIBE_LINK: "Unsubscribe page",
    ConsentSource.STAFF: "Staff",
    ConsentSource.IMPORT: "Import",
    ConsentSource.PRIVACY_CENTRE: "Privacy centre",
}


def month_of(column: str) -> str:
    """SQL for the UTC month ("2026-11") of a timestamp column."""
    if isinstance(current_engine(), PostgresEngine):
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"
    return f"substr({column}, 1, 7)"


def first_month(today: date, months: int) -> str:
    """The first of the `months` months ending with today's, as "YYYY-MM"."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(month: str) -> datetime:
    """The first moment (UTC) of a "YYYY-MM" month."""
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=UTC)


def month_range(first: str, months: int) -> list[str]:
    year, month = (int(part) for part in first.split("-"))
    index = year * 12 + month - 1
    return [f"{(index + step) // 12:04d}-{(index + step) % 12 + 1:02d}" for step in range(months)]


@dataclass
class MonthRow:
    month: str
    opt_ins: dict[str, int] = field(default_factory=dict)  # by channel
    opt_outs: dict[str, int] = field(default_factory=dict)
    by_source: dict[tuple[str, bool], int] = field(default_factory=dict)  # (source, granted)
    online_checkouts: int = 0
    online_opted_in: int = 0

    @property
    def total_in(self) -> int:
        return sum(self.opt_ins.values())

    @property
    def total_out(self) -> int:
        return sum(self.opt_outs.values())

    @property
    def online_rate(self) -> float | None:
        """The share of paid online orders whose buyer ticked the marketing question."""
        return self.online_opted_in / self.online_checkouts if self.online_checkouts else None


@dataclass(frozen=True, slots=True)
class ConsentReport:
    months: list[MonthRow]
    channels: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def largest(self) -> int:
        return max([1, *(max(row.total_in, row.total_out) for row in self.months)])


def last_month_asked(text: str, today: date) -> str:
    """The last month to show, from "YYYY-MM" as a month field sends it: today's month for nothing, nonsense,
    a month to come or one before 2000."""
    this_month = f"{today.year:04d}-{today.month:02d}"
    year, _, month = text.strip().partition("-")
    if not (len(year) == 4 and len(month) == 2 and (year + month).isascii() and (year + month).isdigit()):
        return this_month
    asked = f"{year}-{month}"
    return asked if 1 <= int(month) <= 12 and "2000-01" <= asked <= this_month else this_month


async def consent_report(months: int, last: str | None = None, today: date | None = None) -> ConsentReport:
    """The `months` months ending with `last` ("YYYY-MM"), or with the one `today` falls in."""
    today = today or datetime.now(UTC).date()
    if last is not None:
        today = month_start(last).date()
    first = first_month(today, months)
    shown = month_range(first, months)
    rows = {month: MonthRow(month) for month in shown}
    since, until = month_start(first), month_start(month_range(shown[-1], 2)[1])
    ledger = await ConsentRecord.raw(
        f"SELECT {month_of('recorded_at')} AS month, channel, source, granted, COUNT(*) AS records"
        " FROM consent_record WHERE recorded_at >= {} AND recorded_at < {}"
        " GROUP BY 1, channel, source, granted",
        since,
        until,
    )
    for entry in ledger:
        row = rows.get(entry["month"])
        if row is None:
            continue
        granted = bool(entry["granted"])
        counts = row.opt_ins if granted else row.opt_outs
        counts[entry["channel"]] = counts.get(entry["channel"], 0) + entry["records"]
        key = (entry["source"], granted)
        row.by_source[key] = row.by_source.get(key, 0) + entry["records"]
    checkouts = await ConsentRecord.raw(
        f"SELECT {month_of('created_at')} AS month, COUNT(*) AS orders,"
        " SUM(CASE WHEN marketing_opt_in THEN 1 ELSE 0 END) AS opted_in"
        ' FROM "order" WHERE channel = {} AND status = {} AND created_at >= {} AND created_at < {}'
        " GROUP BY 1",
        OrderChannel.ONLINE.value,
        OrderStatus.PAID.value,
        since,
        until,
    )
    for entry in checkouts:
        row = rows.get(entry["month"])
        if row is not None:
            row.online_checkouts, row.online_opted_in = entry["orders"], int(entry["opted_in"] or 0)
    return ConsentReport(
        months=list(rows.values()),
        channels=tuple(channel.value for channel in Channel),
        sources=tuple(source.value for source in ConsentSource),
    )


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula [ASVS 5.3]."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def report_rows(report: ConsentReport) -> list[list[object]]:
    """One row per month and measure, in long form, for spreadsheets and other tools."""
    rows: list[list[object]] = [["month", "measure", "channel", "source", "count"]]
    for row in report.months:
        for (source, granted), count in sorted(row.by_source.items()):
            rows.append([row.month, "opt_in" if granted else "opt_out", "", source, count])
        for channel in report.channels:
            for measure, counts in (("opt_in", row.opt_ins), ("opt_out", row.opt_outs)):
                if counts.get(channel):
                    rows.append([row.month, measure, channel, "", counts[channel]])
        rows.append([row.month, "online_checkouts", "", "", row.online_checkouts])
        rows.append([row.month, "online_checkouts_opted_in", "", "", row.online_opted_in])
    return rows


def report_csv(report: ConsentReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in report_rows(report):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()

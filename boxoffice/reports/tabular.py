"""A report as tables of typed columns, which the page, the chart, the CSV and the XLSX file all read, so
they cannot disagree. Money stays integer minor units until the edge: the page formats it for the
venue's locale, CSV writes it as a plain decimal, XLSX as a number a spreadsheet can add up.

XLSX is written by XlsxWriter in `constant_memory` mode (each row goes to a temporary file as it is
written, so a long report takes no more memory than a short one) into a temporary file, which is then
streamed out in chunks. Cells that a spreadsheet would run as a formula are neutralised in both files.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import xlsxwriter
from babel.numbers import get_currency_precision

from boxoffice.auth.permissions import Perm
from boxoffice.crm.bulk_export import neutralised
from boxoffice.documents.formatting import LocalFormat
from boxoffice.money import Money

TEXT, COUNT, MONEY, PERCENT = "text", "count", "money", "percent"
CHUNK = 64 * 1024
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: str = COUNT


@dataclass(frozen=True, slots=True)
class Chart:
    """What to draw: `kind` "bars" (one bar a row, series stacked) or "line" (one line a series), the row
    label from `label`, each series from a column key. `title` and `description` are the chart's text
    alternative; the table beside it gives every figure."""

    kind: str
    label: str
    series: tuple[str, ...]
    title: str
    description: str
    limit: int = 25  # bars drawn at most; the table lists every row


@dataclass(slots=True)
class ReportTable:
    title: str
    columns: list[Column]
    rows: list[dict]
    currency: str = "GBP"
    totals: dict | None = None
    chart: Chart | None = None
    note: str = ""
    empty: str = "Nothing in this range."

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


@dataclass(slots=True)
class Report:
    title: str
    tables: list[ReportTable] = field(default_factory=list)
    links: list[tuple[str, str, Perm]] = field(default_factory=list)  # related pages: route, text, right


def plain(value: object, column: Column, currency: str) -> object:
    """The cell as a file holds it: money as a decimal in major units, percentages as fractions."""
    if value is None:
        return ""
    if column.kind == MONEY:
        return Decimal(value).scaleb(-get_currency_precision(currency))
    if column.kind == TEXT:
        return neutralised(str(value))
    return value


def table_rows(table: ReportTable) -> Iterator[list[object]]:
    yield [
        column.label + (f" ({table.currency})" if column.kind == MONEY else "") for column in table.columns
    ]
    for row in [*table.rows, *([table.totals] if table.totals else [])]:
        yield [plain(row.get(column.key), column, table.currency) for column in table.columns]


def csv_chunks(report: Report) -> Iterator[bytes]:
    """The report's tables one after another, each under its title, as UTF-8 CSV with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    for number, table in enumerate(report.tables):
        if number:
            writer.writerow([])
        writer.writerow([neutralised(table.title)])
        writer.writerows(table_rows(table))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def xlsx_chunks(report: Report) -> Iterator[bytes]:
    """The report as a workbook, a sheet a table, numbers as numbers."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
        book = xlsxwriter.Workbook(file.name, {"constant_memory": True, "strings_to_formulas": False})
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "#,##0.00"})
        percent = book.add_format({"num_format": "0.0%"})
        for number, table in enumerate(report.tables, start=1):
            sheet = book.add_worksheet(
                f"{number} {table.title}"[:31].translate(str.maketrans("[]:*?/\\", "       "))
            )
            for row_number, cells in enumerate(table_rows(table)):
                for column_number, (cell, column) in enumerate(zip(cells, table.columns, strict=True)):
                    if row_number == 0:
                        sheet.write_string(0, column_number, str(cell), bold)
                    elif column.kind == TEXT or cell == "":
                        sheet.write_string(row_number, column_number, str(cell))
                    else:
                        style = {MONEY: money, PERCENT: percent}.get(column.kind)
                        sheet.write_number(row_number, column_number, float(cell), style)
        book.close()
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


CHUNKS = {"csv": csv_chunks, "xlsx": xlsx_chunks}


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def display(value: object, column: Column, currency: str, fmt: LocalFormat) -> str:
    """The cell as a person reads it, in the venue's locale."""
    if value is None:
        return "–"
    if column.kind == MONEY:
        return fmt.money(Money(currency, int(value)))
    if column.kind == PERCENT:
        return f"{float(value) * 100:.1f}%"
    if column.kind == COUNT:
        return f"{int(value):,}"
    return str(value)

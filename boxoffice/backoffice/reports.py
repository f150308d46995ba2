"""Reports: sales, capacity, attendance, audience and e-mail, each under its own permission, each a page
(table and chart) and a CSV or XLSX download of the same tables, with the same filters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, SkipValidation
from litestar.response import Stream, Template

from boxoffice.auth.permissions import Perm
from boxoffice.db import as_utc
from boxoffice.documents.formatting import local_format
from boxoffice.reports import audience, capacity, email, sales
from boxoffice.reports.charts import draw
from boxoffice.reports.scope import Scope, filter_choices, parse_scope, venue_settings
from boxoffice.reports.tabular import CHUNKS, FORMATS, Column, Report, display
from boxoffice.web.dependencies import Acting


@dataclass(frozen=True, slots=True)
class ReportPage:
    permission: Perm
    title: str
    build: Callable[[Scope, str], Awaitable[Report]]  # (scope, grouping) -> the report
    grouped: bool = False  # offers the sales report's groupings


async def sales_by(scope: Scope, by: str) -> Report:
    def when(moment: object) -> str:
        return as_utc(moment).astimezone(scope.zone).strftime("%a %-d %b %Y %H:%M")

    return await sales.sales_report(scope, by, scope.currency, format_when=when)


async def capacity_of(scope: Scope, _: str) -> Report:
    return await capacity.capacity_report(scope)


async def attendance_of(scope: Scope, _: str) -> Report:
    return await capacity.attendance_report(scope)


async def audience_of(scope: Scope, _: str) -> Report:
    return await audience.audience_report(scope)


async def email_of(scope: Scope, _: str) -> Report:
    return await email.email_report(scope)


REPORTS = {
    "sales": ReportPage(Perm.REPORTS_SALES, "Sales", sales_by, grouped=True),
    "capacity": ReportPage(Perm.REPORTS_CAPACITY, "Capacity", capacity_of),
    "attendance": ReportPage(Perm.REPORTS_ATTENDANCE, "Attendance", attendance_of),
    "audience": ReportPage(Perm.REPORTS_AUDIENCE, "Audience", audience_of),
    "email": ReportPage(Perm.REPORTS_EMAIL, "E-mail and campaigns", email_of),
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The filter form's fields as sent, every one text, so that what cannot be used is named on the
    page rather than refused by the framework."""

    start: str
    end: str
    venue: str
    event: str
    performance: str
    by: str


async def provide_filters(
    start: FromQuery[str] = "",
    end: FromQuery[str] = "",
    venue: FromQuery[str] = "",
    event: FromQuery[str] = "",
    performance: FromQuery[str] = "",
    by: FromQuery[str] = "",
) -> Filters:
    return Filters(start, end, venue, event, performance, by)


FILTERS = {"filters": Provide(provide_filters)}


async def asked(page: ReportPage, filters: Filters) -> tuple[Scope, str, list[str]]:
    """The filters asked for, and what could not be used of them."""
    timezone, _, _ = await venue_settings()
    today = datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()
    scope = await parse_scope(
        today, filters.start, filters.end, filters.venue, filters.event, filters.performance
    )
    problems = list(scope.problems)
    grouping = filters.by or "event"
    if page.grouped and grouping not in sales.GROUPING_KEYS:
        problems.append("Choose a grouping from the list; grouped by event.")
        grouping = "event"
    return scope, grouping, problems


def report_routes(name: str, page: ReportPage) -> list[HTTPRouteHandler]:
    opt = {"permission": page.permission}

    async def show(
        scope: Scope, grouping: str, problems: list[str], *, error: str = "", status_code: int = 200
    ) -> Template:
        report = await page.build(scope, grouping)
        fmt = local_format(scope.locale, scope.zone.key)

        def cell(value: object, column: Column) -> str:
            return display(value, column, scope.currency, fmt)

        return Template(
            "reports/report.html",
            context={
                "name": name,
                "page": page,
                "report": report,
                "tables": [(table, draw(table, cell)) for table in report.tables],
                "cell": cell,
                "scope": scope,
                "grouping": grouping,
                "groupings": {key: sales.groupings()[key].label for key in sales.GROUPING_KEYS},
                "choices": await filter_choices(scope),
                "problems": [*problems, *([error] if error else [])],
            },
            status_code=status_code,
        )

    async def report_page(filters: NamedDependency[SkipValidation[Filters]]) -> Template:
        return await show(*await asked(page, filters))

    async def report_download(
        filters: NamedDependency[SkipValidation[Filters]], acting: Acting, file_format: FromQuery[str] = "csv"
    ) -> Stream | Template:
        scope, grouping, problems = await asked(page, filters)
        if file_format not in FORMATS:
            return await show(scope, grouping, problems, error="Choose CSV or XLSX.", status_code=400)
        report = await page.build(scope, grouping)
        await scope.record_download(
            name, grouping if page.grouped else None, file_format, actor_id=acting.staff_id, ip=acting.ip
        )
        filename = f"{name}-{scope.first_day.isoformat()}-to-{scope.last_day.isoformat()}.{file_format}"
        return Stream(
            CHUNKS[file_format](report),
            media_type=FORMATS[file_format],
            headers={"Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"},
        )

    return [
        get(f"/reports/{name}", name=f"reports.{name}", opt=opt, dependencies=FILTERS)(report_page),
        get(f"/reports/{name}/download", name=f"reports.{name}.download", opt=opt, dependencies=FILTERS)(
            report_download
        ),
    ]


ROUTES = [handler for name, page in REPORTS.items() for handler in report_routes(name, page)]

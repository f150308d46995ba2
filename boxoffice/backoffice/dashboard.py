"""The dashboard: where every staff member lands after signing in, showing what their role allows.

Everyone sees the next performances' seats and the performances nearly sold out. Takings and the last
30 days' sales need the sales report's right (Reports, Sales); tickets sold and held today need the
capacity report's or the sell screen's; campaigns sending and failing e-mail need the rights of the
pages that deal with them. Each panel is its own template partial (templates/backoffice/dashboard/).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar import get
from litestar.response import Template

from boxoffice.auth.permissions import Perm
from boxoffice.documents.formatting import LocalFormat, local_format
from boxoffice.money import Money
from boxoffice.privacy import requests
from boxoffice.reports import dashboard as figures
from boxoffice.reports.charts import draw
from boxoffice.reports.sales import sales_report
from boxoffice.reports.scope import Scope, today_scope
from boxoffice.reports.tabular import Column, display
from boxoffice.web.dependencies import Acting
from boxoffice.web.guards import Staff


@dataclass(frozen=True, slots=True)
class Alert:
    """Something that needs attention: what, and the page that deals with it (None: no link)."""

    text: str
    route: str | None = None
    link_text: str = ""


async def seat_alerts(staff: Staff, now: datetime, fmt: LocalFormat) -> list[Alert]:
    nearly = await figures.next_performances(now, limit=5, nearly_sold_out=True)
    return [
        Alert(
            f"{bar.title}, {fmt.date(bar.starts_at)} {fmt.time(bar.starts_at)}, is nearly sold out: "
            f"{bar.available} of {bar.capacity} seats left."
        )
        for bar in nearly
    ]


async def marketing_alerts(staff: Staff, now: datetime, fmt: LocalFormat) -> list[Alert]:
    alerts = []
    if staff.may(Perm.MARKETING_CAMPAIGNS) or staff.may(Perm.REPORTS_EMAIL):
        for campaign in await figures.campaigns_sending():
            alerts.append(
                Alert(f"The campaign “{campaign['subject']}” is sending.", "marketing.campaigns", "Campaigns")
            )
    if staff.may(Perm.SETTINGS_EMAIL_LOG) or staff.may(Perm.REPORTS_EMAIL):
        failed = await figures.failed_emails(now)
        if failed:
            alerts.append(
                Alert(
                    f"{failed:,} e-mail{'s' if failed != 1 else ''} failed in the last "
                    f"{figures.FAILING_DAYS} days.",
                    "backoffice.email_log" if staff.may(Perm.SETTINGS_EMAIL_LOG) else "reports.email",
                    "See which",
                )
            )
    return alerts


async def privacy_request_alerts(staff: Staff, now: datetime, fmt: LocalFormat) -> list[Alert]:
    """Privacy requests coming due: the slot for the privacy requests register, which fills it in (under
    its own permission) once it exists. Until then there is nothing to show."""
    return []


ALERT_SOURCES = (seat_alerts, marketing_alerts, privacy_request_alerts)


@get("/backoffice/", name="backoffice.dashboard", opt={"permission": Perm.SIGNED_IN})
async def dashboard(acting: Acting) -> Template:
    staff: Staff = acting.staff
    now = acting.now
    today = await today_scope(now)
    fmt = local_format(today.locale, today.zone.key)

    def cell(value: object, column: Column) -> str:
        return display(value, column, today.currency, fmt)

    context: dict = {
        "performances": await figures.next_performances(now),
        "alerts": [alert for source in ALERT_SOURCES for alert in await source(staff, now, fmt)],
        "fmt": fmt,
        "cell": cell,
        "money": lambda amount: Money(today.currency, amount),
        "today": today,
    }
    if staff.may(Perm.REPORTS_SALES):
        context["takings"] = await figures.today_sales(today)
        month = Scope(
            today.first_day - timedelta(days=29), today.last_day, today.zone, today.currency, today.locale
        )
        trend = (await sales_report(month, "day", today.currency)).tables[0]
        context["trend"] = (trend, draw(trend, cell))
    if staff.may(Perm.REPORTS_SALES) or staff.may(Perm.REPORTS_CAPACITY) or staff.may(Perm.BOX_OFFICE_SELL):
        context["tickets_today"] = context.get("takings") or await figures.today_sales(today)
        context["held_now"] = await figures.held_now(now)
    if staff.may(Perm.CRM_PRIVACY_REQUESTS):  # the privacy requests panel
        context["privacy_today"] = now.date()
        context["privacy_due"] = await requests.due_requests(now.date())
    return Template("backoffice/dashboard.html", context=context)


ROUTES = [dashboard]

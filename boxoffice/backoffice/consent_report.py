"""Marketing → Consent report: opt-ins and opt-outs by month and by the question's wording, on the page
and as CSV, for the months chosen (12 ending with this one unless staff choose others)."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import get
from litestar.params import FromQuery
from litestar.response import Response, Template

from boxoffice.auth.permissions import Perm
from boxoffice.marketing import reports

CONSENT_REPORT = {"permission": Perm.MARKETING_CONSENT}


def months_asked(months: str) -> int:
    return (
        int(months) if months.isdigit() and int(months) in reports.MONTH_CHOICES else reports.DEFAULT_MONTHS
    )


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


@get("/marketing/consent", name="marketing.consent", opt=CONSENT_REPORT)
async def consent_report(months: FromQuery[str] = "12", ending: FromQuery[str] = "") -> Template:
    chosen = months_asked(months)
    last = reports.last_month_asked(ending, datetime.now(UTC).date())
    return Template(
        "marketing/consent_report.html",
        context={
            "report": await reports.consent_report(chosen, last),
            "months": chosen,
            "ending": last,
            "this_month": this_month(),
            "month_choices": reports.MONTH_CHOICES,
            "source_labels": {source.value: label for source, label in reports.SOURCE_LABELS.items()},
        },
    )


@get("/marketing/consent.csv", name="marketing.consent.csv", opt=CONSENT_REPORT)
async def consent_report_csv(months: FromQuery[str] = "12", ending: FromQuery[str] = "") -> Response:
    chosen = months_asked(months)
    last = reports.last_month_asked(ending, datetime.now(UTC).date())
    return Response(
        reports.report_csv(await reports.consent_report(chosen, last)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=consent-{chosen}-months-to-{last}.csv"},
    )


ROUTES = [consent_report, consent_report_csv]

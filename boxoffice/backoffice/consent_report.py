"""Marketing → Consent report: opt-ins and opt-outs by month and by the question's wording, on the page
and as CSV."""

from __future__ import annotations

from litestar import get
from litestar.params import FromQuery
from litestar.response import Response, Template

from boxoffice.auth.permissions import Perm
from boxoffice.marketing import reports

CONSENT_REPORT = {"permission": Perm.MARKETING_CONSENT}


def months_asked(months: str) -> int:
    return int(months) if months.isdigit() and int(months) in reports.MONTH_CHOICES else 12


@get("/marketing/consent", name="marketing.consent", opt=CONSENT_REPORT)
async def consent_report(months: FromQuery[str] = "12") -> Template:
    chosen = months_asked(months)
    return Template(
        "marketing/consent_report.html",
        context={
            "report": await reports.consent_report(chosen),
            "months": chosen,
            "month_choices": reports.MONTH_CHOICES,
            "source_labels": {source.value: label for source, label in reports.SOURCE_LABELS.items()},
        },
    )


@get("/marketing/consent.csv", name="marketing.consent.csv", opt=CONSENT_REPORT)
async def consent_report_csv(months: FromQuery[str] = "12") -> Response:
    chosen = months_asked(months)
    return Response(
        reports.report_csv(await reports.consent_report(chosen)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=consent-{chosen}-months.csv"},
    )


ROUTES = [consent_report, consent_report_csv]

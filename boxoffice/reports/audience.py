"""Who bought in the range, without naming anyone: new and returning buyers, how often they bought,
the postcode districts they live in, and how many said yes to marketing, by channel and source.

Buyers are contacts with an order paid and placed in the range (walk-ins have no contact and are not
counted); a new buyer had no paid order before it. A postcode district (the outward code, "M1" of
"M1 1AE") is shown only when at least `SMALLEST_GROUP` buyers live in it; the rest are counted
together, so no district row points at a handful of people.
"""

from __future__ import annotations

from collections import Counter

from boxoffice.auth.permissions import Perm
from boxoffice.marketing.reports import SOURCE_LABELS
from boxoffice.marketing.tables import ConsentSource
from boxoffice.reports.sales import CHANNEL_LABELS
from boxoffice.reports.scope import Scope
from boxoffice.reports.tabular import PERCENT, TEXT, Chart, Column, Report, ReportTable, ratio
from boxoffice.sales.tables import Order

SMALLEST_GROUP = 5
FREQUENCY_BANDS = ((1, 1, "Once"), (2, 2, "Twice"), (3, 5, "3 to 5 times"), (6, None, "6 times or more"))

IN_SCOPE = """
    EXISTS (SELECT 1 FROM order_line l
            JOIN performance p ON p.id = l.performance JOIN event e ON e.id = p.event
            WHERE l."order" = o.id {scope})
"""
BUYERS_SQL = """
SELECT o.contact, COUNT(*) AS orders,
       EXISTS (SELECT 1 FROM "order" b WHERE b.contact = o.contact AND b.created_at < {}
               AND b.paid_at IS NOT NULL) AS bought_before
FROM "order" o
WHERE o.contact IS NOT NULL AND o.paid_at IS NOT NULL AND o.created_at >= {} AND o.created_at < {} {scope}
GROUP BY o.contact
"""
POSTCODES_SQL = """
SELECT DISTINCT o.contact, o.postcode FROM "order" o
WHERE o.contact IS NOT NULL AND o.paid_at IS NOT NULL AND o.created_at >= {} AND o.created_at < {} {scope}
"""
CHECKOUT_SQL = """
SELECT o.channel, COUNT(*) AS orders, SUM(CASE WHEN o.marketing_opt_in THEN 1 ELSE 0 END) AS opted_in
FROM "order" o
WHERE o.paid_at IS NOT NULL AND o.created_at >= {} AND o.created_at < {} {scope}
GROUP BY o.channel
"""
CONSENT_SQL = """
SELECT channel, source, SUM(CASE WHEN granted THEN 1 ELSE 0 END) AS opt_ins, COUNT(*) AS changes
FROM consent_record WHERE recorded_at >= {} AND recorded_at < {}
GROUP BY channel, source
"""


def district(postcode: str) -> str:
    """The outward code of a UK-style postcode ("M1 1AE" -> "M1"); anything else as given, upper-cased."""
    compact = "".join(postcode.split()).upper()
    if not compact:
        return ""
    return compact[:-3] if len(compact) >= 5 else compact


def scoped(scope: Scope) -> tuple[str, list[object]]:
    clause, values = scope.performance_clause()
    return (" AND " + IN_SCOPE.replace("{scope}", clause) if clause else ""), values


async def audience_report(scope: Scope) -> Report:
    start, end = scope.bounds()
    clause, values = scoped(scope)
    buyers = await Order.raw(BUYERS_SQL.replace("{scope}", clause), start, start, end, *values)
    returning = sum(1 for row in buyers if row["bought_before"])
    new_returning = ReportTable(
        "New and returning buyers",
        [Column("label", "Buyers", TEXT), Column("buyers", "Buyers"), Column("share", "Share", PERCENT)],
        [
            {"label": "New (first paid order in the range)", "buyers": len(buyers) - returning},
            {"label": "Returning (bought before)", "buyers": returning},
        ],
        totals={"label": "Total", "buyers": len(buyers), "share": ratio(len(buyers), len(buyers))},
        chart=Chart(
            "bars",
            "label",
            ("buyers",),
            "New and returning buyers",
            "Buyers in the range, new and returning; the table gives the figures.",
        ),
    )
    for row in new_returning.rows:
        row["share"] = ratio(row["buyers"], len(buyers))
    orders_each = Counter(row["orders"] for row in buyers)
    frequency = ReportTable(
        "How often buyers bought in the range",
        [Column("label", "Orders", TEXT), Column("buyers", "Buyers"), Column("share", "Share", PERCENT)],
        [
            {
                "label": label,
                "buyers": count,
                "share": ratio(count, len(buyers)),
            }
            for low, high, label in FREQUENCY_BANDS
            for count in [
                sum(
                    n
                    for orders, n in orders_each.items()
                    if orders >= low and (high is None or orders <= high)
                )
            ]
        ],
        chart=Chart(
            "bars",
            "label",
            ("buyers",),
            "Buyers by number of orders",
            "How many buyers ordered once, twice and more; the table gives the figures.",
        ),
    )
    per_district = Counter(
        district(row["postcode"] or "")
        for row in await Order.raw(POSTCODES_SQL.replace("{scope}", clause), start, end, *values)
    )
    shown = sorted(
        ((name, count) for name, count in per_district.items() if name and count >= SMALLEST_GROUP),
        key=lambda item: (-item[1], item[0]),
    )
    withheld = sum(count for name, count in per_district.items() if name and count < SMALLEST_GROUP)
    district_rows = [{"label": name, "buyers": count} for name, count in shown]
    if withheld:
        district_rows.append(
            {"label": f"Other districts (fewer than {SMALLEST_GROUP} buyers each)", "buyers": withheld}
        )
    if per_district.get(""):
        district_rows.append({"label": "No postcode given", "buyers": per_district[""]})
    districts = ReportTable(
        "Buyers by postcode district",
        [Column("label", "District", TEXT), Column("buyers", "Buyers")],
        district_rows,
        chart=Chart(
            "bars",
            "label",
            ("buyers",),
            "Buyers by postcode district",
            "Buyers per postcode district, largest first; the table gives the figures.",
        ),
        note=f"Districts with fewer than {SMALLEST_GROUP} buyers are counted together, so that no row "
        "points at a few people.",
    )
    checkout_rows = [
        {
            "label": CHANNEL_LABELS.get(row["channel"], row["channel"]),
            "orders": row["orders"],
            "opted_in": int(row["opted_in"] or 0),
            "share": ratio(int(row["opted_in"] or 0), row["orders"]),
        }
        for row in await Order.raw(CHECKOUT_SQL.replace("{scope}", clause), start, end, *values)
    ]
    checkout = ReportTable(
        "Marketing opt-in rate at checkout, by sales channel",
        [
            Column("label", "Channel", TEXT),
            Column("orders", "Paid orders"),
            Column("opted_in", "Buyer said yes"),
            Column("share", "Opt-in rate", PERCENT),
        ],
        checkout_rows,
        chart=Chart(
            "bars",
            "label",
            ("share",),
            "Opt-in rate by sales channel",
            "The share of paid orders whose buyer said yes to marketing, online and at the box office; "
            "the table gives the figures.",
        ),
    )
    consent_rows = [
        {
            "label": f"{row['channel'].capitalize()} · "
            f"{SOURCE_LABELS.get(ConsentSource(row['source']), row['source'])}",
            "opt_ins": int(row["opt_ins"] or 0),
            "opt_outs": row["changes"] - int(row["opt_ins"] or 0),
            "share": ratio(int(row["opt_ins"] or 0), row["changes"]),
        }
        for row in await Order.raw(CONSENT_SQL, start, end)
    ]
    consent = ReportTable(
        "Consent changes by channel and source",
        [
            Column("label", "Channel · source", TEXT),
            Column("opt_ins", "Opt-ins"),
            Column("opt_outs", "Opt-outs"),
            Column("share", "Opt-ins of changes", PERCENT),
        ],
        sorted(consent_rows, key=lambda row: row["label"]),
        note="Every consent change recorded in the range, whatever was bought; the consent report has "
        "them month by month.",
    )
    return Report(
        "Audience",
        [new_returning, frequency, districts, checkout, consent],
        links=[("marketing.consent", "Consent report (Marketing)", Perm.MARKETING_CONSENT)],
    )

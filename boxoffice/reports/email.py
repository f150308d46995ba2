"""E-mail: what the outbox did with the messages queued in the range, by kind, and how each campaign
started in the range fared (narrowed to an event or performance, the campaigns aimed at it).

"Failed" counts messages the mail server refused for good, bounces it reported while we were sending
included; bounces a remote server reports later, by e-mail, do not reach Boxoffice and are not counted.
"""

from __future__ import annotations

from collections import Counter

from boxoffice.auth.permissions import Perm
from boxoffice.mail.tables import OutboxMessage, OutboxStatus
from boxoffice.marketing.campaign_reports import shown_status
from boxoffice.reports.scope import Scope
from boxoffice.reports.tabular import PERCENT, TEXT, Chart, Column, Report, ReportTable, ratio

OUTBOX_SQL = """
SELECT kind, status, COUNT(*) AS messages FROM outbox_message
WHERE created_at >= {} AND created_at < {} GROUP BY kind, status
"""
CAMPAIGNS_SQL = """
SELECT c.id, c.subject, cr.status, om.status AS message_status, COUNT(*) AS recipients,
       COUNT(cr.unsubscribed_at) AS unsubscribed
FROM campaign c JOIN campaign_recipient cr ON cr.campaign = c.id
LEFT JOIN outbox_message om ON om.id = cr.message
WHERE c.send_started_at >= {} AND c.send_started_at < {} {scope}
GROUP BY c.id, c.subject, cr.status, om.status
"""
WAITING = {OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING}
KIND_LABELS = {"campaign": "Campaigns", "order_confirmation": "Order confirmations", "general": "Other"}
MEASURES = ("sent", "failed", "uncertain", "queued")


async def email_report(scope: Scope) -> Report:
    start, end = scope.bounds()
    kinds: dict[str, Counter] = {}
    for row in await OutboxMessage.raw(OUTBOX_SQL, start, end):
        status = "queued" if row["status"] in WAITING else row["status"]
        kinds.setdefault(row["kind"], Counter())[status] += row["messages"]
    outbox_rows = [
        {
            "label": KIND_LABELS.get(kind, kind.replace("_", " ").capitalize()),
            **{m: counts[m] for m in MEASURES},
        }
        for kind, counts in sorted(kinds.items())
    ]
    totals = {"label": "Total", **{m: sum(row[m] for row in outbox_rows) for m in MEASURES}}
    outbox = ReportTable(
        "Messages queued in the range, by kind",
        [Column("label", "Kind", TEXT), *(Column(m, m.capitalize()) for m in MEASURES)],
        outbox_rows,
        totals=totals,
        chart=Chart(
            "bars",
            "label",
            ("sent", "failed", "uncertain"),
            "Messages sent, failed and uncertain by kind",
            "One bar per kind of message: sent solid, failed hatched, uncertain outlined; "
            "the table gives every figure.",
        ),
        note="Failed: refused for good by the mail server (bounces it reported while sending included). "
        "Uncertain: a campaign message whose sending was cut off; it may have gone, and is not sent again.",
    )
    clause, values = "", []
    if scope.performance is not None:
        clause, values = " AND c.performance = {}", [scope.performance]
    elif scope.event is not None:
        clause, values = " AND c.event = {}", [scope.event]
    campaigns: dict[int, dict] = {}
    for row in await OutboxMessage.raw(CAMPAIGNS_SQL.replace("{scope}", clause), start, end, *values):
        found = campaigns.setdefault(
            row["id"],
            {
                "label": row["subject"],
                "recipients": 0,
                "sent": 0,
                "failed": 0,
                "uncertain": 0,
                "skipped": 0,
                "unsubscribed": 0,
            },
        )
        found["recipients"] += row["recipients"]
        found["unsubscribed"] += row["unsubscribed"]
        status = shown_status(row["status"], row["message_status"])
        if status in found:
            found[status] += row["recipients"]
    for found in campaigns.values():
        found["unsubscribe_rate"] = ratio(found["unsubscribed"], found["sent"])
    campaign_table = ReportTable(
        "Campaigns started in the range",
        [
            Column("label", "Campaign", TEXT),
            Column("recipients", "Recipients"),
            Column("sent", "Sent"),
            Column("failed", "Failed"),
            Column("uncertain", "Uncertain"),
            Column("skipped", "Skipped"),
            Column("unsubscribed", "Unsubscribed"),
            Column("unsubscribe_rate", "Unsubscribed of sent", PERCENT),
        ],
        list(campaigns.values()),
        chart=Chart(
            "bars",
            "label",
            ("sent", "failed", "unsubscribed"),
            "Campaigns: sent, failed and unsubscribed",
            "One bar per campaign: sent solid, failed hatched, unsubscribed outlined; "
            "the table gives every figure.",
        ),
        empty="No campaign started sending in this range.",
    )
    return Report(
        "E-mail and campaigns",
        [outbox, campaign_table],
        links=[("marketing.campaigns", "Campaigns (Marketing)", Perm.MARKETING_CAMPAIGNS)],
    )

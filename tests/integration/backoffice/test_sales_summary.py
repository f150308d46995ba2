"""The sales summary stays what a recount from payments, refunds and tickets gives, whatever is sold,
refunded, given away, exchanged or cancelled, and the sales report read from it keeps every figure."""

from __future__ import annotations

import random

import pytest

from boxoffice.sales import summary
from boxoffice.sales.tables import SalesSummary
from tests.integration.backoffice.test_reports import TODAY, table_rows, trade_at_random
from tests.support.staff import make_staff, sign_in


def counted(rows: dict[str, dict]) -> dict[str, tuple[int, ...]]:
    """Rows by slot, as their measures, leaving out rows of nothing (one whose refund was withdrawn)."""
    shown = {key: tuple(int(row[m] or 0) for m in summary.MEASURES) for key, row in rows.items()}
    return {key: measures for key, measures in shown.items() if any(measures)}


@pytest.mark.parametrize("seed", [7, 16, 23])
async def test_the_summary_equals_a_recount_after_random_trading(client, show, seed):
    await sign_in(client, await make_staff("box_office_manager", name="Mo Manager"))

    await trade_at_random(client, show, random.Random(seed), cancellations=3)

    kept = counted(await summary.stored())
    assert kept == counted(await summary.contribution(None))
    assert sum(measures[summary.MEASURES.index("tickets")] for measures in kept.values()) > 12
    assert any(measures[summary.MEASURES.index("refunded")] for measures in kept.values())
    assert any(measures[summary.MEASURES.index("cancelled")] for measures in kept.values())


async def test_the_report_reads_the_summary_and_a_recount_rebuilds_it(client, show):
    await sign_in(client, await make_staff("box_office_manager", name="Mo Manager"))
    await trade_at_random(client, show, random.Random(5), cancellations=2)
    before = (await client.get(f"/reports/sales?start={TODAY}&end={TODAY}&by=method")).text
    figures = table_rows(before, "Sales by payment method")

    await SalesSummary.delete(force=True)
    emptied = (await client.get(f"/reports/sales?start={TODAY}&end={TODAY}&by=method")).text
    await summary.recount()
    rebuilt = (await client.get(f"/reports/sales?start={TODAY}&end={TODAY}&by=method")).text

    assert "<caption>Sales by payment method</caption>" not in emptied  # nothing in the summary
    assert table_rows(rebuilt, "Sales by payment method") == figures
    rows = await SalesSummary.select()
    assert rows and all(row["slot"] == summary.slot(row) for row in rows)  # where later sales upsert

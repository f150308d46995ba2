"""Reports and the dashboard through HTTP: each report's figures, its chart, its CSV and XLSX files, the
rights that guard them, and one source of truth for money (the sales report, the till and the order
pages agree to the penny after random sales, refunds, comps and exchanges)."""

from __future__ import annotations

import csv
import io
import json
import random
import re

import openpyxl
import pytest

from boxoffice.auth.permissions import Perm, serialise
from boxoffice.auth.tables import AuditEntry, Role
from boxoffice.config import get_settings
from boxoffice.db import write_transaction
from boxoffice.sales.order_records import order_ledger, resend_confirmation
from boxoffice.sales.summary import in_step
from boxoffice.sales.tables import Order, OrderLine, Payment, Performance, PerformanceSeat, Refund, Ticket
from boxoffice.tickets import checkin
from boxoffice.tickets.signing import ticket_signer
from tests.integration.backoffice.test_orders import another_performance, order_form
from tests.support.counter import NOW, make_contact, sell
from tests.support.staff import make_staff, make_staff_on, sign_in

TODAY = NOW.date().isoformat()


@pytest.fixture
async def manager(client):
    staff = await make_staff("box_office_manager", name="Mo Manager")
    await sign_in(client, staff)
    return staff


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def table_rows(page: str, caption: str) -> dict[str, list[str]]:
    """The body and footer rows of the table with `caption`, as {first cell: other cells}."""
    table = re.search(rf"<caption>{re.escape(caption)}</caption>.*?</table>", page, re.S).group(0)
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, re.S)
    return {label.strip(): re.findall(r'<td class="number">([^<]*)</td>', cells) for label, cells in rows}


async def test_the_sales_report_counts_money_tickets_and_comps_by_event_and_method(client, manager, show):
    performance_id, types = show
    await sell(client, performance_id, {types["Adult"]: "2"})  # £48 cash
    await sell(
        client, performance_id, {types["Concession"]: "1"}, method="card_terminal", terminal_reference="T1"
    )
    await sell(client, performance_id, {types["Adult"]: "1"}, method="complimentary", reason="Critic")

    page = await client.get(f"/reports/sales?start={TODAY}&end={TODAY}")

    assert page.status_code == 200
    assert table_rows(page.text, "Sales by event") == {
        "The Tempest": ["4", "1", "£24.00", "0", "£66.00", "£0.00", "£66.00"],
        "Total": ["4", "1", "£24.00", "0", "£66.00", "£0.00", "£66.00"],
    }
    by_method = (await client.get(f"/reports/sales?start={TODAY}&end={TODAY}&by=method")).text
    assert table_rows(by_method, "Sales by payment method") == {
        "Cash": ["£48.00", "£0.00", "£48.00"],
        "Card terminal": ["£18.00", "£0.00", "£18.00"],
        "Complimentary": ["£0.00", "£0.00", "£0.00"],
        "Total": ["£66.00", "£0.00", "£66.00"],
    }
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and "<desc id=" in page.text
    assert "Net sales by event" in page.text


async def test_report_files_hold_the_tables_as_csv_and_as_xlsx_with_numbers(client, manager, show):
    performance_id, types = show
    await sell(client, performance_id, {types["Adult"]: "2"})
    query = f"start={TODAY}&end={TODAY}&by=ticket_type"

    as_csv = await client.get(f"/reports/sales/download?file_format=csv&{query}")
    as_xlsx = await client.get(f"/reports/sales/download?file_format=xlsx&{query}")

    assert as_csv.headers["content-disposition"].startswith("attachment; filename=sales-")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == ["Sales by ticket type"]
    assert rows[1][0] == "Ticket type" and rows[1][-1] == "Net (GBP)"
    assert rows[2] == ["Adult", "2", "0", "0.00", "0", "48.00", "0.00", "48.00"]
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1] == ["Adult", 2, 0, 0, 0, 48, 0, 48]
    assert (await client.get(f"/reports/sales/download?file_format=pdf&{query}")).status_code == 400


async def test_each_report_download_is_audited_with_who_which_report_and_filters(client, manager, show):
    performance_id, _ = show
    query = f"start={TODAY}&end={TODAY}&performance={performance_id}"

    await client.get(f"/reports/sales/download?file_format=xlsx&by=method&{query}")
    await client.get(f"/reports/capacity/download?file_format=csv&{query}")
    await client.get(f"/reports/sales/download?file_format=pdf&{query}")  # refused: no file, no entry
    await client.get(f"/reports/sales?{query}")  # a page seen is not a download

    entries = (
        await AuditEntry.select().where(AuditEntry.action == "reports.downloaded").order_by(AuditEntry.id)
    )
    assert [(entry["actor"], entry["object_type"], entry["object_id"]) for entry in entries] == [
        (manager.id, "report", "sales"),
        (manager.id, "report", "capacity"),
    ]
    dates = {"start": TODAY, "end": TODAY, "performance": str(performance_id)}
    assert json.loads(entries[0]["detail"]) == {**dates, "format": "xlsx", "by": "method"}
    assert json.loads(entries[1]["detail"]) == {**dates, "format": "csv"}


async def test_capacity_shows_sold_held_available_and_the_pickup(client, manager, show):
    performance_id, types = show
    await sell(client, performance_id, {types["Adult"]: "3"})
    start = (await Performance.select(Performance.starts_at).first())["starts_at"].date().isoformat()

    for label in ("1", "2"):  # two seats kept off sale, as killing a seat of a seated performance does
        await PerformanceSeat.insert(
            PerformanceSeat(
                performance=performance_id, section="Stalls", row="A", label=label, x=0, y=0, state="killed"
            )
        )
    await Performance.update({Performance.available: Performance.available - 2}).where(
        Performance.id == performance_id
    )

    page = (await client.get(f"/reports/capacity?start={start}&end={start}")).text

    [(label, cells)] = [
        item for item in table_rows(page, "Capacity per performance").items() if item[0] != "Total"
    ]
    assert label.startswith("The Tempest") and cells == ["10", "3", "0", "5", "2", "30.0%"]
    pickup = table_rows(page, "Pickup: share of capacity sold before the performances")
    assert pickup["90 days before"] == ["3", "30.0%"] and pickup["On the day"] == ["3", "30.0%"]
    assert "held seats hatched" in page


async def test_attendance_counts_admitted_and_no_shows(client, manager, show):
    performance_id, types = show
    order = await sell(client, performance_id, {types["Adult"]: "3"})
    first = await Ticket.select().where(Ticket.order == order["id"]).first()
    signer = ticket_signer(get_settings().ticket_key_file)
    await checkin.scan(performance_id, first["code"], staff_id=manager.id, signer=signer, now=NOW)
    await Performance.update({Performance.starts_at: NOW}).where(Performance.id == performance_id)

    page = (await client.get(f"/reports/attendance?start={TODAY}&end={TODAY}")).text

    rows = table_rows(page, "Attendance per performance")
    assert rows["Total (performances started)"] == ["3", "1", "2", "33.3%"]


async def test_audience_counts_new_and_returning_buyers_and_hides_small_districts(client, manager, show):
    performance_id, types = show
    for number in range(6):
        contact = await make_contact(f"Buyer{number}", "Smith", f"b{number}@example.org", postcode="M1 1AE")
        await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(contact))
    loner = await make_contact("Lone", "Buyer", "lone@example.org", postcode="SW1A 2AA")
    await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(loner))
    await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(loner))

    page = (await client.get(f"/reports/audience?start={TODAY}&end={TODAY}")).text

    assert table_rows(page, "New and returning buyers")["Total"] == ["7", "100.0%"]
    assert table_rows(page, "How often buyers bought in the range")["Twice"] == ["1", "14.3%"]
    districts = table_rows(page, "Buyers by postcode district")
    assert districts == {"M1": ["6"], "Other districts (fewer than 5 buyers each)": ["1"]}
    assert "SW1A" not in page and "Lone" not in page and "Smith" not in page
    assert "Marketing opt-in rate at checkout" in page


async def test_the_email_report_counts_the_outbox_by_kind(client, manager, show):
    performance_id, types = show
    contact = await make_contact()
    order = await sell(client, performance_id, {types["Adult"]: "1"}, contact=str(contact))
    await resend_confirmation(order["id"], staff_id=manager.id, ip="test")

    page = (await client.get(f"/reports/email?start={TODAY}&end={TODAY}")).text

    assert table_rows(page, "Messages queued in the range, by kind")["Order confirmations"][-1] != "0"
    assert "No campaign started sending in this range." in page


async def test_bad_filters_are_named_and_ignored(client, manager):
    page = await client.get("/reports/sales?start=soon&end=2026-13-01&venue=x&event=999&by=colour")
    assert page.status_code == 200
    words = text_of(page.text)
    for problem in (
        "start date is not a date",
        "end date is not a date",
        "venue is not on the list",
        "event is not on the list",
        "Choose a grouping",
    ):
        assert problem in words


async def test_a_role_without_reports_sees_no_report_and_no_dashboard_money(client, show):
    performance_id, types = show
    manager = await make_staff("box_office_manager", name="Mo Manager")
    await sign_in(client, manager)
    await sell(client, performance_id, {types["Adult"]: "1"})
    with_reports = (await client.get("/backoffice/")).text
    assert "Today's takings" in with_reports and "£24.00" in with_reports
    assert "Sales of the last 30 days" in with_reports
    client.cookies.clear()
    await sign_in(client, await make_staff("box_office_operator", enrolled=False))

    dashboard = (await client.get("/backoffice/")).text

    assert (
        "takings" not in dashboard and "£" not in dashboard and "Sales of the last 30 days" not in dashboard
    )
    assert "Next performances" in dashboard and "Tickets issued today" in dashboard
    for report in ("sales", "capacity", "attendance", "audience", "email"):
        assert (await client.get(f"/reports/{report}")).status_code == 403
        assert (await client.get(f"/reports/{report}/download?file_format=csv")).status_code == 403
    assert "/reports/" not in dashboard


async def test_a_role_with_one_report_sees_that_one_alone(client):
    role = Role(name="Capacity watchers", permissions=serialise({Perm.REPORTS_CAPACITY}), requires_totp=False)
    await Role.insert(role)
    await sign_in(client, await make_staff_on(role.id, email="watch@venue.example", enrolled=False))

    dashboard = (await client.get("/backoffice/")).text

    assert 'href="/reports/capacity"' in dashboard and 'href="/reports/sales"' not in dashboard
    assert "takings" not in dashboard and "Seats held now" in dashboard
    assert (await client.get("/reports/capacity")).status_code == 200
    assert (await client.get("/reports/sales")).status_code == 403


async def trade_at_random(client, show, chance: random.Random, *, cancellations: int = 0) -> list[dict]:
    """Twelve random box-office sales (cash, card, comps) of `show`, then refunds, exchanges to a later
    performance and, if asked, cancellations of some of their tickets; returns the orders."""
    performance_id, types = show
    await Performance.update({Performance.capacity: 200, Performance.available: 200}).where(
        Performance.id == performance_id
    )
    later = await another_performance(performance_id, {"Adult": 3100, "Concession": 1300}, capacity=200)
    orders = []
    for _ in range(12):
        method = chance.choice(["cash", "cash", "card_terminal", "complimentary"])
        extra = {"card_terminal": {"terminal_reference": "T9"}, "complimentary": {"reason": "Guest"}}
        quantities = {
            types[name]: str(chance.randint(1, 3))
            for name in chance.sample(["Adult", "Concession"], k=chance.randint(1, 2))
        }
        orders.append(await sell(client, performance_id, quantities, method=method, **extra.get(method, {})))
    for order in chance.sample(orders, 5):
        payment = (
            await Payment.select()
            .where((Payment.order == order["id"]) & (Payment.method != "complimentary"))
            .first()
        )
        if payment and payment["amount"] > 100:
            amount = chance.randint(1, payment["amount"] - 1)
            await order_form(
                client,
                order["id"],
                "refund",
                {"payment": str(payment["id"]), "amount": f"{amount / 100:.2f}"},
            )
    for order in chance.sample(orders, 4):
        ticket = (
            await Ticket.select().where((Ticket.order == order["id"]) & (Ticket.status == "valid")).first()
        )
        response, _ = await order_form(
            client,
            order["id"],
            "exchange",
            {"ticket": str(ticket["id"]), "performance": str(later), "method": "cash", "tendered": "100"},
        )
        assert response.status_code == 303, response.text

    for order in chance.sample(orders, cancellations):
        ticket = (
            await Ticket.select().where((Ticket.order == order["id"]) & (Ticket.status == "valid")).first()
        )
        if ticket:
            fields = {"ticket": str(ticket["id"]), "confirm": "cancel"}
            response, _ = await order_form(client, order["id"], "cancel", fields)
            assert response.status_code == 303, response.text
    return orders


async def test_sales_report_till_and_order_pages_agree_to_the_penny(client, manager, show):
    """Random sales (cash, card, comps), refunds and exchanges: the sales report's net, the till's net
    and the order pages' payments less refunds are the same number of pence, every way the report
    groups."""
    await trade_at_random(client, show, random.Random(16))

    pence = 0
    for order in await Order.select(Order.id):
        ledger = await order_ledger(order["id"])
        pence += sum(p.amount.amount for p in ledger.payments) - sum(r.amount.amount for r in ledger.refunds)
    assert await Refund.count() >= 3  # refunds asked for, and those exchanges to cheaper seats made
    till_page = (await client.get("/backoffice/till")).text
    till_total = 0
    for table in re.findall(r"<table class=\"data till\">.*?</table>", till_page, re.S):
        for cells in re.findall(r'<th scope="row">[^<]+</th>(.*?)</tr>', table, re.S):
            net = re.findall(r"<td>([^<]*)</td>", cells)[-1]
            till_total += round(float(net.replace("£", "").replace(",", "")) * 100)
    assert till_total == pence
    for grouping in ("event", "performance", "ticket_type", "channel", "method", "operator", "day", "month"):
        page = (await client.get(f"/reports/sales?start={TODAY}&end={TODAY}&by=" + grouping)).text
        total = table_rows(page, re.search(r"<caption>(Sales by [^<]+)</caption>", page).group(1))["Total"]
        assert round(float(total[-1].replace("£", "").replace(",", "")) * 100) == pence, grouping


async def test_sales_group_by_price_zone(client, manager, show):
    performance_id, types = show
    stalls = await sell(client, performance_id, {types["Adult"]: "2"})
    await sell(client, performance_id, {types["Concession"]: "1"})
    async with write_transaction(), in_step(stalls["id"]):  # as every write to an order's lines
        await OrderLine.update({OrderLine.zone: "Stalls"}).where(OrderLine.order == stalls["id"])

    page = (await client.get(f"/reports/sales?start={TODAY}&end={TODAY}&by=zone")).text

    assert table_rows(page, "Sales by price zone") == {
        "No zone (unreserved)": ["1", "0", "£0.00", "0", "£18.00", "£0.00", "£18.00"],
        "Stalls": ["2", "0", "£0.00", "0", "£48.00", "£0.00", "£48.00"],
        "Total": ["3", "0", "£0.00", "0", "£66.00", "£0.00", "£66.00"],
    }

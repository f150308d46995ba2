"""The restore drill, on both engines: a venue's history, backed up by `boxoffice backup` while the app
serves, the database destroyed, `boxoffice restore` into an empty one, and every row of every table
compared (read from the database's own catalogue, so tables added later are covered). The person
removed before the backup stays removed in the restored copy, and the restored venue goes on selling."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

from boxoffice.bootstrap import prepare_database
from boxoffice.config import get_settings
from boxoffice.crm.contacts import add_note
from boxoffice.crm.tables import Contact
from boxoffice.db import close_database, current_engine, is_sqlite, open_database, sqlite_companions
from boxoffice.marketing.consent import record_consent
from boxoffice.marketing.tables import CampaignRecipient
from boxoffice.sales.tables import Hold, Order, Payment, Refund, TicketType
from tests.conftest import POSTGRES_URL
from tests.support.backups import backup_file, boxoffice, current_database_url, empty_database, is_empty
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.counter import sell
from tests.support.history import NOW, PERSONAL, add_many_contacts, customer_with_history
from tests.support.marketing import deliver_campaign, draft_campaign, start
from tests.support.postgres import recreate_database
from tests.support.rush import seats_left_and_held
from tests.support.shop import choose, paid_order
from tests.support.staff import csrf_token, make_staff, post_form
from tests.support.tables import every_row, texts_holding

KEPT = {
    "first_name": "Olive",
    "last_name": "Otterley",
    "email": "olive.otterley@example.org",
    "phone": "0161 496 0999",
    "postcode": "M1 1AA",
}
BALLAST_CONTACTS = 100_000
REQUEST_KEY = re.compile(r'name="request_key" value="([0-9a-f]{32})"')


async def refund(client, order_id: int, amount: str) -> None:
    """Refund part of an order's first payment from its page, as a manager does."""
    page = (await client.get(f"/backoffice/orders/{order_id}")).text
    payment = await Payment.select(Payment.id).where(Payment.order == order_id).first()
    response = await client.post(
        f"/backoffice/orders/{order_id}/refund",
        data={
            "payment": str(payment["id"]),
            "amount": amount,
            "request_key": REQUEST_KEY.search(page).group(1),
            "_csrf_token": await csrf_token(client, f"/backoffice/orders/{order_id}"),
        },
    )
    assert response.status_code == 303, response.text


async def venue_history(shop, show, fake_stripe, smtp_settings) -> int:
    """Another customer who bought online and opted in, then the history of the one to be removed
    (tests/support/history.py: online, counter and complimentary sales, order and contact notes, a
    tag, consent at the counter and by phone, corrected details, kept ticket PDFs), a walk-in sale
    refunded in part, a campaign sent to both customers, and the second customer removed; returns the
    removed contact's id."""
    performance_id, types = show
    await paid_order(shop, performance_id, {types["Concession"]: "1"}, fake_stripe, **KEPT)
    kept_id = (await Contact.select(Contact.id).where(Contact.email == KEPT["email"]).first())["id"]
    await record_consent(
        contact_id=kept_id, channel="email", granted=True, source="online_checkout", wording="Yes", now=NOW
    )
    removed_id, clerk = await customer_with_history(shop, show, fake_stripe)
    walk_in = await sell(shop, performance_id, {types["Adult"]: "2"})
    await refund(shop, walk_in["id"], "10.00")
    await add_note(kept_id, "Olive prefers aisle seats", author_id=clerk.id, now=NOW)
    campaign = await draft_campaign(clerk, "The spring season")
    await start(clerk, campaign)
    await deliver_campaign(campaign, smtp_settings)
    assert await CampaignRecipient.count() == 2
    removed = await post_form(
        shop,
        f"/crm/contacts/{removed_id}/remove",
        {"confirm": "yes"},
        form_page=f"/crm/contacts/{removed_id}/remove",
    )
    assert removed.status_code == 303
    assert await Refund.count() == 1
    return removed_id


def traces_on_disk(database: Path, traces: list[str]) -> list[str]:
    """Which of `traces` (any case) can be read in the raw bytes of the database file."""
    content = database.read_bytes().lower()
    return [trace for trace in traces if trace.lower().encode() in content]


async def destroy_database() -> None:
    """What a lost disk or a dropped database leaves: nothing at all where the database was."""
    await close_database()
    if is_sqlite():
        database = Path(current_engine().path)
        for file in (database, *sqlite_companions(database)):
            file.unlink(missing_ok=True)
    else:
        await recreate_database(POSTGRES_URL)


async def test_restore_drill_brings_back_every_row_and_the_removed_stay_removed(
    shop, show, fake_stripe, smtp_settings, tmp_path
):
    removed_id = await venue_history(shop, show, fake_stripe, smtp_settings)
    database_url = current_database_url()
    before = await every_row(database_url)
    assert {"order", "ticket", "refund", "consent_record", "contact_note", "campaign_recipient"} <= set(
        before
    )
    assert texts_holding(before, PERSONAL) == []
    assert texts_holding(before, [KEPT["email"]])  # a kept customer, to find in the restored copy

    backing_up = asyncio.create_task(boxoffice("backup", database_url=database_url, folder=tmp_path))
    pages_served = 0
    while not backing_up.done():  # the storefront goes on serving while the backup is taken
        assert "The Tempest" in (await shop.get("/")).text
        pages_served += 1
    made = await backing_up
    assert made.returncode == 0, made.stderr
    [backup] = tmp_path.glob("boxoffice-*.backup")
    print(f"backup: {made.stdout.strip()} ({pages_served} pages served meanwhile)")
    assert KEPT["email"].encode() not in backup.read_bytes()  # sealed: nobody's data reads in the file

    await destroy_database()
    try:
        assert await is_empty(database_url)
        restored = await boxoffice("restore", str(backup), database_url=database_url, folder=tmp_path)
        assert restored.returncode == 0, restored.stderr
        print(f"restore: {restored.stdout.strip()}")
        assert "schema current" in restored.stdout and "integrity checks passed" in restored.stdout

        after = await every_row(database_url)
        assert set(after) == set(before)
        assert {table: rows for table, rows in after.items() if rows != before[table]} == {}
        assert texts_holding(after, PERSONAL) == []
        assert (await Contact.select(Contact.erased_at).where(Contact.id == removed_id).first())["erased_at"]
        if is_sqlite():
            assert traces_on_disk(Path(current_engine().path), PERSONAL) == []
    finally:
        if await is_empty(database_url):
            await prepare_database()  # leave the next test a schema

    await open_database(get_settings())
    performance_id, types = show
    again = await sell(shop, performance_id, {types["Adult"]: "1"})  # the restored venue sells on
    assert again["id"] > max(row[0] for row in before["order"])
    their_order = (await Order.select(Order.id).where(Order.contact == removed_id).first())["id"]
    assert "A removed contact" in (await shop.get(f"/backoffice/orders/{their_order}")).text


async def test_a_backup_taken_during_sales_is_one_consistent_moment(shop, tmp_path):
    """Holds are taken over HTTP one after another while the backup runs; whatever moment the backup
    caught, each hold in it took exactly its seats from the performance (a torn copy would not add
    up), and the restored copy holds no hold made after the backup ended."""
    hall = await make_venue()
    event = await make_event(hall, "the-rush", "The Rush")
    performance = await make_performance(
        event, datetime(2030, 5, 1, 19, tzinfo=UTC), {"Adult": 1000}, capacity=10_000
    )
    ticket_type = (await TicketType.select(TicketType.id).first())["id"]
    database_url = current_database_url()
    await choose(shop, performance.id, {ticket_type: "1"})  # pages compiled before the clock starts
    await add_many_contacts(BALLAST_CONTACTS)  # a backup that lasts long enough to sell during
    holds_before = await Hold.count()

    backing_up = asyncio.create_task(boxoffice("backup", database_url=database_url, folder=tmp_path))
    while not backing_up.done():
        shop.cookies.clear()  # a new buyer each time
        assert (await choose(shop, performance.id, {ticket_type: "1"})).status_code == 303
    made = await backing_up
    assert made.returncode == 0, made.stderr
    holds_after = await Hold.count()
    assert holds_after - holds_before > 5, "the holds did not overlap the backup"
    [backup] = tmp_path.glob("boxoffice-*.backup")

    async with empty_database(tmp_path) as restored_url:
        restored = await boxoffice("restore", str(backup), database_url=restored_url, folder=tmp_path)
        assert restored.returncode == 0, restored.stderr
        rows = await every_row(restored_url)
        available, held = await seats_left_and_held(restored_url, performance.id)
        restored_holds = len(rows["hold"])
    print(f"holds: {holds_before} before the backup, {holds_after} after, {restored_holds} in it")
    assert holds_before <= restored_holds <= holds_after
    assert available + held == performance.capacity


async def test_a_restore_into_the_live_database_is_refused_and_changes_nothing(client, tmp_path):
    await make_staff("admin")
    backup = await backup_file(tmp_path)
    before = await every_row(current_database_url())

    refused = await boxoffice("restore", str(backup), database_url=current_database_url(), folder=tmp_path)

    assert refused.returncode != 0
    assert "is not empty" in refused.stderr and "only into an empty one" in refused.stderr
    assert await every_row(current_database_url()) == before

"""Kill -9 inside every step of an online checkout, and inside the worker's sending of the confirmations.

A web worker of `boxoffice serve --workers 2` dies in the middle of holding seats, placing the order (in
its transaction, after it committed, after Stripe opened the session), and fulfilling the paid order from
the return page and from the webhook (in its transaction, and after it committed but before answering).
uvicorn replaces the dead worker; the buyer (or Stripe) tries again, as they would. Then `boxoffice
worker` dies after the SMTP server took a campaign message, while the server takes a confirmation (before
its 250 reaches the worker), and after it made a confirmation's tickets PDF; each time another worker is
started. At the end: every payment taken is a paid order with its tickets once, nobody paid twice, no
seat is counted twice, and each e-mail went out as the README promises: confirmations at least once
(again with the same Message-ID), campaign messages at most once.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.drills.buyers import Buyer, demo_on_sale, seats_accounted_for, with_stripe
from tests.support.crashes import WEB_POINTS, WORKER_POINTS, CrashPoints
from tests.support.fake_stripe import FakeStripe
from tests.support.rush import (
    OnSale,
    fetch,
    running_server,
)
from tests.support.server import wait_until_healthy
from tests.support.smtp import SmtpServer
from tests.support.worker import worker_process

SEATS = 40
TICKETS_EACH = 2
MESSAGE_ID = re.compile(r"\.(\d+)\.outbox@")


def dies(outcome: BaseException | httpx.Response) -> bool:
    """Whether a request got no answer: its web worker died under it."""
    return isinstance(outcome, httpx.TransportError)


async def attempt(request) -> BaseException | httpx.Response:
    try:
        return await request
    except httpx.TransportError as error:
        return error


class CheckoutDrill:
    def __init__(
        self, base_url: str, stripe: FakeStripe, points: CrashPoints, on_sale: OnSale, report
    ) -> None:
        self.base_url = base_url
        self.stripe = stripe
        self.points = points
        self.on_sale = on_sale
        self.report = report
        self.buyers: list[Buyer] = []

    def buyer(self) -> Buyer:
        client = httpx.AsyncClient(base_url=self.base_url, timeout=30)
        buyer = Buyer(client, f"buyer{len(self.buyers) + 1}@drill.example", self.on_sale)
        self.buyers.append(buyer)
        return buyer

    async def kill_at(self, point: str, step: str, request) -> None:
        """Arm `point`, send the request, and see it die there; then wait for the server to answer again."""
        self.points.arm(point)
        outcome = await attempt(request)
        assert dies(outcome), f"{step}: expected the web worker to die at {point}, got {outcome!r}"
        pid = self.points.killed(point)
        assert pid, f"{step}: no process reached {point}"
        await asyncio.to_thread(wait_until_healthy, self.base_url, None, 30)
        self.report(f"killed web worker {pid} at {point} ({step}); the server answers again")

    def webhook(self, session_id: str) -> tuple[bytes, dict[str, str]]:
        payload, signature = self.stripe.webhook_event(
            "checkout.session.completed", self.stripe.sessions[session_id]
        )
        return payload, {"stripe-signature": signature, "content-type": "application/json"}

    def return_address(self, session_id: str) -> str:
        """The return page's path and query (its address names BOXOFFICE_BASE_URL, not this server)."""
        success = urlsplit(self.stripe.sessions[session_id]["success_url"])
        return f"{success.path}?{success.query}".replace("{CHECKOUT_SESSION_ID}", session_id)


async def run_checkout_steps(drill: CheckoutDrill, database_url: str) -> None:
    # Holding seats: the transaction that takes them dies uncommitted; the buyer tries again.
    buyer = drill.buyer()
    await drill.kill_at("hold.before_commit", "hold", buyer.hold())
    assert await seats_accounted_for(database_url, drill.on_sale) == (SEATS, 0)
    assert (await buyer.hold()).status_code == 303
    await buyer.buy_until_sent_to_stripe()

    # Placing the order, inside its transaction: nothing placed, the basket still holds the seats.
    buyer = drill.buyer()
    assert (await buyer.hold()).status_code == 303
    await drill.kill_at("order.before_commit", "place order, in its transaction", buyer.check_out())
    assert await orders_of(database_url, buyer.email) == []
    await buyer.buy_until_sent_to_stripe()

    # Placing the order, once committed, before and after Stripe opened its session: the order waits
    # unpaid (it lapses with its hold time); the buyer's basket is gone, so they choose again.
    for point in ("checkout.order_placed", "checkout.session_opened"):
        buyer = drill.buyer()
        assert (await buyer.hold()).status_code == 303
        await drill.kill_at(point, "place order", buyer.check_out())
        [(status, session)] = await orders_of(database_url, buyer.email)
        assert (status, session) == ("pending_payment", None)
        await buyer.buy_until_sent_to_stripe()

    # The return page and the webhook, each dying inside fulfilment's transaction and after its commit.
    for way in ("return page", "webhook"):
        for point in ("fulfilment.before_commit", "fulfilment.committed"):
            buyer = drill.buyer()
            await buyer.buy_until_sent_to_stripe()
            session_id = buyer.session_ids[-1]
            drill.stripe.complete_session(session_id)
            payload, headers = drill.webhook(session_id)
            if way == "return page":
                await drill.kill_at(point, way, buyer.client.get(drill.return_address(session_id)))
                assert (await buyer.client.get(drill.return_address(session_id))).status_code == 303
            else:
                await drill.kill_at(
                    point, way, buyer.client.post("/webhooks/stripe", content=payload, headers=headers)
                )
            # Stripe delivers (again, when the first delivery got no answer); the buyer comes back.
            assert (
                await buyer.client.post("/webhooks/stripe", content=payload, headers=headers)
            ).status_code == 200
            assert (await buyer.client.get(drill.return_address(session_id))).status_code == 303
            [(status, _)] = [
                row for row in await orders_of(database_url, buyer.email) if row[1] == session_id
            ]
            assert status == "paid", (way, point)

    # The buyers of the first four steps pay too, in the ordinary way.
    for buyer in drill.buyers[:4]:
        session_id = buyer.session_ids[-1]
        drill.stripe.complete_session(session_id)
        payload, headers = drill.webhook(session_id)
        assert (
            await buyer.client.post("/webhooks/stripe", content=payload, headers=headers)
        ).status_code == 200
    for buyer in drill.buyers:
        await buyer.client.aclose()


async def orders_of(database_url: str, email: str) -> list[tuple[str, str | None]]:
    return await fetch(
        database_url, 'SELECT status, stripe_session FROM "order" WHERE email = $1 ORDER BY id', email
    )


async def check_sales(database_url: str, stripe: FakeStripe, on_sale: OnSale, report) -> int:
    """Every payment Stripe took is one paid order with its tickets once; returns how many were paid."""
    paid_sessions = {sid: s for sid, s in stripe.sessions.items() if s["status"] == "complete"}
    orders = await fetch(
        database_url, 'SELECT id, status, stripe_session, email FROM "order" WHERE stripe_session IS NOT NULL'
    )
    by_session = {row[2]: row for row in orders}
    payments = Counter(
        row[0]
        for row in await fetch(database_url, "SELECT provider_reference FROM payment WHERE method = 'stripe'")
    )
    tickets = Counter(row[0] for row in await fetch(database_url, 'SELECT "order" FROM ticket'))
    codes = await fetch(database_url, "SELECT COUNT(*), COUNT(DISTINCT code) FROM ticket")
    confirmations = Counter(
        row[0]
        for row in await fetch(
            database_url, "SELECT recipient FROM outbox_message WHERE kind = 'order_confirmation'"
        )
    )
    payers = Counter(session["customer_email"] for session in paid_sessions.values())
    for session_id, session in paid_sessions.items():
        order_id, status, _, email = by_session[session_id]
        assert status == "paid", (order_id, status)
        assert payments[session["payment_intent"]] == 1, (
            f"order {order_id}: {payments[session['payment_intent']]} payments"
        )
        assert tickets[order_id] == TICKETS_EACH, f"order {order_id}: {tickets[order_id]} tickets"
        assert confirmations[email] == 1
    assert sum(payments.values()) == len(paid_sessions)
    assert set(payers.values()) == {1}, payers  # nobody paid twice
    assert codes[0][0] == codes[0][1] == TICKETS_EACH * len(paid_sessions)
    assert await seats_accounted_for(database_url, on_sale) == (SEATS, TICKETS_EACH * len(paid_sessions))
    [(events,)] = await fetch(database_url, "SELECT COUNT(*) FROM stripe_event")
    assert events == len(paid_sessions)  # one payment event each, however often delivered
    [(paid_orders,)] = await fetch(database_url, """SELECT COUNT(*) FROM "order" WHERE status = 'paid'""")
    assert paid_orders == len(paid_sessions)
    report(
        f"found: {len(paid_sessions)} payments taken, {len(paid_sessions)} paid orders, each with one"
        f" payment, {TICKETS_EACH} tickets and one confirmation queued; {codes[0][0]} ticket codes, all"
        " distinct;"
        f" {events} Stripe events applied; free + held + ordered = {SEATS} seats, none counted twice;"
        f" Stripe sessions opened for orders a crash left unpaid: {len(stripe.sessions) - len(paid_sessions)}"
    )
    return len(paid_sessions)


async def add_campaign_message(database_url: str) -> int:
    """A campaign message (sent at most once) due before everything else in the outbox."""
    now = datetime.now(UTC)
    [(message_id,)] = await fetch(
        database_url,
        "INSERT INTO outbox_message (recipient, subject, text_body, headers, kind, status, attempts,"
        " at_most_once, next_attempt_at, last_error, created_at)"
        " VALUES ('fan@drill.example', 'Our new season', 'Hello', '{}', 'campaign', 'queued', 0, $1, $2,"
        " '', $3) RETURNING id",
        True,
        column_time(database_url, now - timedelta(days=1)),
        column_time(database_url, now),
    )
    return message_id


def column_time(database_url: str, moment: datetime) -> datetime | str:
    """A time as a timestamptz parameter: as such for PostgreSQL, in Piccolo's text form for SQLite."""
    return str(moment) if database_url.startswith("sqlite") else moment


async def outbox(database_url: str) -> dict[int, tuple[str, str, bool]]:
    rows = await fetch(database_url, "SELECT id, status, kind, at_most_once FROM outbox_message")
    return {row[0]: (row[1], row[2], bool(row[3])) for row in rows}


async def outbox_settled(database_url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if all(
            status in ("sent", "uncertain", "failed")
            for status, _, _ in (await outbox(database_url)).values()
        ):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the outbox did not settle: {await outbox(database_url)}")


def killed_by_sigkill(process: subprocess.Popen, timeout: float = 60) -> bool:
    return process.wait(timeout=timeout) == -9


async def lease_lapsed(database_url: str) -> None:
    """Move the dead worker's lease into the past, as 15 s of waiting would, so that the next worker takes
    its messages back at once (tests/integration/mail/test_outbox.py covers the lapse itself)."""
    await fetch(
        database_url,
        "UPDATE mail_worker SET lease_until = $1",
        column_time(database_url, datetime(2000, 1, 1, tzinfo=UTC)),
    )


async def run_mail_steps(env: dict[str, str], workdir: Path, database_url: str, report) -> None:
    campaign_id = await add_campaign_message(database_url)
    points = CrashPoints(workdir / "worker-crashes", WORKER_POINTS)
    smtp = SmtpServer()
    smtp.start()
    worker_env = {**env, **points.environment()}

    async def kill_a_worker(point: str | None, moment: str) -> None:
        """Start a worker and see it die at `point` (None: as the SMTP server takes a message); then let its
        lease lapse."""
        if point:
            points.arm(point)
        with worker_process(worker_env, smtp, campaign_rate_per_minute=600, cwd=workdir) as worker:
            if point is None:
                smtp.kill_when_accepting(worker.pid)
            assert await asyncio.to_thread(killed_by_sigkill, worker)
        assert point is None or points.killed(point) == worker.pid
        await lease_lapsed(database_url)
        report(f"killed worker {worker.pid} {moment}")

    try:
        await kill_a_worker(
            "mail.handed_over", "after the SMTP server took a message (its 250 read, not recorded)"
        )
        await kill_a_worker(None, "as the SMTP server took a message, before its 250 reached it")
        await kill_a_worker("mail.attachment_made", "just after it made a confirmation's tickets PDF")
        with worker_process(worker_env, smtp, campaign_rate_per_minute=600, cwd=workdir):
            await outbox_settled(database_url)
    finally:
        smtp.stop()

    delivered = Counter(int(MESSAGE_ID.search(message["Message-ID"])[1]) for message in smtp.messages)
    messages = await outbox(database_url)
    assert messages[campaign_id][0] == "uncertain" and delivered[campaign_id] == 1, (
        messages[campaign_id],
        delivered,
    )
    confirmations = {
        message_id for message_id, (_, kind, _) in messages.items() if kind == "order_confirmation"
    }
    assert {messages[message_id][0] for message_id in confirmations} == {"sent"}
    assert all(delivered[message_id] >= 1 for message_id in confirmations), delivered
    twice = [message_id for message_id in confirmations if delivered[message_id] > 1]
    assert len(twice) == 1 and delivered[twice[0]] == 2, delivered  # the one the second worker died sending
    pdfs = [
        message
        for message in smtp.messages
        if any(part.get_content_type() == "application/pdf" for part in message.iter_attachments())
    ]
    assert len(pdfs) == sum(delivered[message_id] for message_id in confirmations)
    report(
        f"found: the campaign message delivered once and marked uncertain (at most once); "
        f"{len(confirmations)} confirmations all sent with their PDF, one of them twice with the same"
        f" Message-ID (at least once); {len(smtp.messages)} deliveries in all"
    )


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_killed_processes_lose_no_sale_and_send_mail_as_promised(
    database_url: str, tmp_path: Path, report
) -> None:
    env, on_sale = await demo_on_sale(database_url, tmp_path, SEATS)
    report("demo venue set up")
    points = CrashPoints(tmp_path / "web-crashes", WEB_POINTS)
    with FakeStripe() as stripe:
        env = with_stripe(env, stripe)
        with running_server({**env, **points.environment()}, tmp_path, workers=2) as server:
            drill = CheckoutDrill(server.base_url, stripe, points, on_sale, report)
            await run_checkout_steps(drill, database_url)
        paid = await check_sales(database_url, stripe, on_sale, report)
    assert paid == len(drill.buyers)
    await run_mail_steps(env, tmp_path, database_url, report)

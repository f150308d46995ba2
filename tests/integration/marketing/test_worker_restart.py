"""A real `boxoffice worker` process killed in the middle of a campaign and started again sends each
remaining recipient the campaign exactly once, at the configured pace; one killed just as the SMTP server
took a message never sends that message again, and the rest of its batch goes within seconds."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime

from boxoffice.mail.tables import OutboxMessage, OutboxStatus
from boxoffice.marketing.tables import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from tests.support import staff as support
from tests.support.marketing import draft_campaign, make_contact, start
from tests.support.smtp import SmtpServer
from tests.support.staff import make_staff, sign_in
from tests.support.worker import worker_env, worker_process

RATE_PER_MINUTE = 60  # one message a second: the worker is idle most of the time, as in production
FAST = 6000  # every recipient released at once, so that the first worker claims them all in one batch
ADDRESSES = [f"guest{number}@example.org" for number in range(6)]


async def messages_sending() -> int:
    return await OutboxMessage.count().where(OutboxMessage.status == OutboxStatus.SENDING)


async def wait_until(condition, within: float) -> None:
    """Poll the database until `condition` holds, for at most `within` seconds."""
    for _ in range(int(within * 50)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not so after {within} s")


async def test_a_worker_killed_mid_campaign_and_restarted_sends_each_remaining_recipient_once(
    database, marketing_staff: support.TestStaff, smtp_server: SmtpServer
):
    for address in ADDRESSES:
        await make_contact(address)
    await make_contact("no-thanks@example.org", opted_in=False)
    campaign_id = await draft_campaign(marketing_staff)
    assert await start(marketing_staff, campaign_id, datetime.now(UTC)) == len(ADDRESSES)

    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=RATE_PER_MINUTE) as first:
        assert await asyncio.to_thread(smtp_server.wait_for_messages, 2, 30)

        async def between_messages() -> bool:
            sent = await OutboxMessage.count().where(OutboxMessage.status == OutboxStatus.SENT)
            return sent >= 2 and await messages_sending() == 0

        await wait_until(between_messages, 5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    received_before_restart = len(smtp_server.messages)
    pending = await CampaignRecipient.count().where(CampaignRecipient.status == RecipientStatus.PENDING)
    assert pending >= 1 and received_before_restart < len(ADDRESSES)  # killed mid-campaign

    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=RATE_PER_MINUTE):
        assert await asyncio.to_thread(smtp_server.wait_for_messages, len(ADDRESSES), 60)

        async def finished() -> bool:
            row = await Campaign.select(Campaign.status).where(Campaign.id == campaign_id).first()
            return row["status"] == CampaignStatus.SENT

        await wait_until(finished, 10)
        await asyncio.sleep(1.5)  # time for a duplicate to show, if there were one

    assert Counter(message["To"] for message in smtp_server.messages) == Counter(ADDRESSES)
    statuses = {row["status"] for row in await CampaignRecipient.select(CampaignRecipient.status)}
    assert statuses == {RecipientStatus.QUEUED}
    assert await messages_sending() == 0


async def test_a_campaign_message_whose_worker_died_as_the_server_took_it_is_never_sent_again(
    database, client, smtp_server: SmtpServer
):
    for address in ADDRESSES:
        await make_contact(address)
    admin = await make_staff("admin")
    campaign_id = await draft_campaign(admin)
    assert await start(admin, campaign_id, datetime.now(UTC)) == len(ADDRESSES)

    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=FAST) as first:
        smtp_server.kill_when_accepting(first.pid)
        assert first.wait(timeout=30) == -signal.SIGKILL
    [taken_before_it_died] = smtp_server.messages
    in_flight = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.claimed_by)
    assert OutboxStatus.SENDING in {row["status"] for row in in_flight}
    assert all(row["claimed_by"] is not None for row in in_flight)  # the rest of its batch, claimed

    restarted_at = time.monotonic()
    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=FAST):
        assert await asyncio.to_thread(smtp_server.wait_for_messages, len(ADDRESSES), 30)
        assert time.monotonic() - restarted_at < 30  # the dead worker's claims did not wait for long
        await asyncio.sleep(1.5)  # time for a duplicate to show, if there were one

    assert Counter(message["To"] for message in smtp_server.messages) == Counter(ADDRESSES)
    uncertain = await OutboxMessage.select(OutboxMessage.recipient).where(
        OutboxMessage.status == OutboxStatus.UNCERTAIN
    )
    assert uncertain == [{"recipient": taken_before_it_died["To"]}]
    await sign_in(client, admin)
    report = (await client.get(f"/marketing/campaigns/{campaign_id}")).text
    assert re.search(r'id="count-uncertain">1<', report)
    assert re.search(rf'id="count-sent">{len(ADDRESSES) - 1}<', report)
    email_log = (await client.get("/backoffice/email-log")).text
    assert email_log.count("uncertain") == 1

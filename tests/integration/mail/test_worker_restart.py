"""A real `boxoffice worker` process killed just as the SMTP server took a confirmation: a restarted worker
sends it again with the same Message-ID (at least once), and the rest of the batch within seconds."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.tables import OutboxMessage, OutboxStatus
from tests.support.smtp import SmtpServer
from tests.support.worker import worker_env, worker_process

ADDRESSES = [f"buyer{number}@example.org" for number in range(3)]


async def test_a_confirmation_whose_worker_died_as_the_server_took_it_is_sent_again_with_its_message_id(
    database, smtp_server: SmtpServer
):
    for address in ADDRESSES:
        await queue_email(
            Email(recipient=address, subject="Your tickets", text="See you.", kind="order_confirmation")
        )

    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=60) as first:
        smtp_server.kill_when_accepting(first.pid)
        assert first.wait(timeout=30) == -signal.SIGKILL
    [taken_before_it_died] = smtp_server.messages

    restarted_at = time.monotonic()
    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=60):
        assert await asyncio.to_thread(smtp_server.wait_for_messages, len(ADDRESSES) + 1, 30)
        assert time.monotonic() - restarted_at < 30  # the dead worker's claims did not wait for long
        await asyncio.sleep(1.5)  # time for a third copy to show, if there were one

    assert Counter(message["To"] for message in smtp_server.messages) == Counter(
        [*ADDRESSES, taken_before_it_died["To"]]
    )
    copies = [message for message in smtp_server.messages if message["To"] == taken_before_it_died["To"]]
    assert [copy["Message-ID"] for copy in copies] == [taken_before_it_died["Message-ID"]] * 2
    assert len({message["Message-ID"] for message in smtp_server.messages}) == len(ADDRESSES)
    statuses = {row["status"] for row in await OutboxMessage.select(OutboxMessage.status)}
    assert statuses == {OutboxStatus.SENT}

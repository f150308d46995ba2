"""`boxoffice worker` told to stop (SIGTERM) while the SMTP server is taking a message: it waits for the
server's answer, records the message as sent, leaves the rest of its batch to the next worker, and exits."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

from boxoffice.mail.outbox import Email, queue_email
from boxoffice.mail.tables import OutboxMessage, OutboxStatus
from tests.support.smtp import SmtpServer
from tests.support.worker import worker_env, worker_process

ADDRESSES = [f"buyer{number}@example.org" for number in range(3)]
SLOW_ANSWER_SECONDS = 2.0


async def test_a_stopped_worker_finishes_and_records_the_message_it_is_sending_then_exits(
    database, smtp_server: SmtpServer
):
    for address in ADDRESSES:
        await queue_email(
            Email(recipient=address, subject="Your tickets", text="See you.", kind="order_confirmation")
        )
    smtp_server.answer_slowly(SLOW_ANSWER_SECONDS)

    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=6000) as worker:
        assert await asyncio.to_thread(smtp_server.wait_for_messages, 1, 30)
        worker.send_signal(signal.SIGTERM)  # the server has the message and has not answered yet
        assert await asyncio.to_thread(worker.wait, 20) == 0
    [in_flight] = smtp_server.messages
    statuses = {
        row["recipient"]: row["status"]
        for row in await OutboxMessage.select(OutboxMessage.recipient, OutboxMessage.status)
    }
    assert statuses[in_flight["To"]] == OutboxStatus.SENT
    assert [status for status in statuses.values() if status == OutboxStatus.SENT] == [OutboxStatus.SENT]

    smtp_server.answer_slowly(0)
    with worker_process(worker_env(), smtp_server, campaign_rate_per_minute=6000):
        assert await asyncio.to_thread(smtp_server.wait_for_messages, len(ADDRESSES), 30)
        await asyncio.sleep(1)  # time for a second copy to show, if there were one
    assert Counter(message["To"] for message in smtp_server.messages) == Counter(ADDRESSES)
    assert {row["status"] for row in await OutboxMessage.select(OutboxMessage.status)} == {OutboxStatus.SENT}

"""Queueing and claiming outbox messages, on whichever engine this run uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.db import write_transaction
from boxoffice.mail.email_log import OutboxEntry, message_detail, recent_messages
from boxoffice.mail.outbox import (
    MAX_ATTEMPTS,
    WORKER_LEASE,
    Attachment,
    Email,
    begin_sending,
    claim_due_messages,
    mark_failed,
    mark_sent,
    queue_email,
    renew_lease,
    retire_worker,
    retry_delay,
)
from boxoffice.mail.tables import OutboxAttachment, OutboxMessage, OutboxStatus
from boxoffice.paging import PageRequest
from boxoffice.sales.tables import Venue

WORKER = "box1:100:aaaa"
OTHER_WORKER = "box2:200:bbbb"
TICKETS_PDF = Attachment("tickets.pdf", "application/pdf", b"%PDF-1.7\n\x00\xff\xfe binary \r\n%%EOF")


def confirmation(recipient: str = "ada@example.org", **changes) -> Email:
    return Email(
        **{
            "recipient": recipient,
            "subject": "Your tickets",
            "text": "Thank you for your order.",
            "kind": "order_confirmation",
            **changes,
        }
    )


async def entry(message_id: int) -> OutboxEntry:
    detail = await message_detail(message_id)
    assert detail is not None
    return detail.entry


async def test_a_queued_message_reads_back_as_it_was_queued(database):
    email = confirmation(
        html="<p>Thank you for your order.</p>",
        headers={"List-Unsubscribe": "<https://townhall.example/unsubscribe/abc>"},
        attachments=(TICKETS_PDF, Attachment("seating.txt", "text/plain", b"Row A")),
    )
    message_id = await queue_email(email)

    detail = await message_detail(message_id)
    assert detail is not None
    assert detail.email == email
    assert detail.entry.status is OutboxStatus.QUEUED
    assert detail.entry.attempts == 0 and detail.entry.sent_at is None
    assert await message_detail(message_id + 1) is None


async def test_the_log_lists_the_newest_messages_first(database):
    ids = [await queue_email(confirmation(f"guest{number}@example.org")) for number in range(5)]

    newest = await recent_messages(PageRequest(1, 3))
    assert [entry.id for entry in newest.items] == ids[:1:-1]
    assert [entry.recipient for entry in newest.items] == [
        f"guest{number}@example.org" for number in (4, 3, 2)
    ]
    older = await recent_messages(PageRequest(2, 3))
    assert [entry.id for entry in older.items] == ids[1::-1]
    assert (newest.total, older.total, older.pages, older.first_shown) == (5, 5, 2, 4)
    assert (await recent_messages(PageRequest(9, 3))).number == 2


async def test_a_message_queued_in_a_transaction_that_fails_is_never_sent(database):
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await Venue(name="Stand-in for an order", slug="order").save()
            await queue_email(confirmation(attachments=(TICKETS_PDF,)))
            raise RuntimeError("payment declined")

    assert await OutboxMessage.count() == 0
    assert await OutboxAttachment.count() == 0
    assert await claim_due_messages(10, datetime.now(UTC), WORKER) == []


async def test_a_message_commits_with_the_transaction_that_queued_it(database):
    async with write_transaction():
        await Venue(name="Stand-in for an order", slug="order").save()
        message_id = await queue_email(confirmation(attachments=(TICKETS_PDF,)))

    assert await Venue.exists().where(Venue.slug == "order")
    detail = await message_detail(message_id)
    assert detail is not None and detail.email.attachments == (TICKETS_PDF,)


async def test_concurrent_claims_never_share_a_message(database):
    queued = {await queue_email(confirmation(f"guest{number}@example.org")) for number in range(30)}
    now = datetime.now(UTC) + timedelta(seconds=1)

    batches = await asyncio.gather(*[claim_due_messages(10, now, f"box:{number}:w") for number in range(4)])

    claimed = [message.id for batch in batches for message in batch]
    assert len(claimed) == len(set(claimed)) == 30
    assert set(claimed) == queued
    assert await OutboxMessage.count().where(OutboxMessage.status == OutboxStatus.CLAIMED) == 30
    assert await claim_due_messages(10, now, WORKER) == []


async def test_a_claim_carries_the_whole_message(database):
    email = confirmation(
        html="<p>Hi</p>", headers={"Reply-To": "desk@townhall.example"}, attachments=(TICKETS_PDF,)
    )
    message_id = await queue_email(email)

    [claimed] = await claim_due_messages(5, datetime.now(UTC) + timedelta(seconds=1), WORKER)

    assert (claimed.id, claimed.attempts, claimed.email) == (message_id, 1, email)


async def test_only_due_messages_are_claimed_oldest_first(database):
    now = datetime.now(UTC) + timedelta(seconds=1)
    first, second, later = [await queue_email(confirmation(f"{name}@example.org")) for name in "abc"]
    await OutboxMessage.update({OutboxMessage.next_attempt_at: now + timedelta(minutes=5)}).where(
        OutboxMessage.id == later
    )

    assert [message.id for message in await claim_due_messages(1, now, WORKER)] == [first]
    assert [message.id for message in await claim_due_messages(5, now, WORKER)] == [second]
    assert [message.id for message in await claim_due_messages(5, now + timedelta(minutes=5), WORKER)] == [
        later
    ]


async def test_a_failed_attempt_is_retried_later_and_later(database):
    message_id = await queue_email(confirmation())
    now = datetime.now(UTC) + timedelta(seconds=1)

    for attempt in range(1, MAX_ATTEMPTS):
        [claimed] = await claim_due_messages(5, now, WORKER)
        assert claimed.attempts == attempt
        assert await mark_failed(message_id, "421 try again later", now) is False
        queued = await entry(message_id)
        assert queued.status is OutboxStatus.QUEUED
        assert queued.next_attempt_at == now + retry_delay(attempt)
        assert await claim_due_messages(5, queued.next_attempt_at - timedelta(seconds=1), WORKER) == []
        now = queued.next_attempt_at

    await claim_due_messages(5, now, WORKER)
    assert await mark_failed(message_id, "421 try again later", now) is True
    assert (await entry(message_id)).status is OutboxStatus.FAILED
    assert await claim_due_messages(5, now + timedelta(days=1), WORKER) == []


def test_retry_delays_double_from_a_minute_up_to_an_hour():
    assert [retry_delay(attempts) for attempts in range(1, 9)] == [
        timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 16, 32, 60, 60)
    ]


async def test_a_permanent_failure_is_given_up_at_once_with_a_short_error(database):
    message_id = await queue_email(confirmation())
    now = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, now, WORKER)

    assert await mark_failed(message_id, "550 " + "x" * 2000, now, permanent=True) is True

    failed = await entry(message_id)
    assert failed.status is OutboxStatus.FAILED and failed.attempts == 1
    assert failed.last_error.startswith("550 ") and len(failed.last_error) == 500


async def test_a_sent_message_is_never_claimed_again(database):
    message_id = await queue_email(confirmation())
    now = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, now, WORKER)
    assert await begin_sending(message_id, WORKER) is True

    await mark_sent(message_id, now)

    sent = await entry(message_id)
    assert (sent.status, sent.sent_at) == (OutboxStatus.SENT, now)
    assert await claim_due_messages(5, now + WORKER_LEASE * 2, OTHER_WORKER) == []


async def test_outcomes_only_change_messages_that_are_being_sent(database):
    message_id = await queue_email(confirmation())
    now = datetime.now(UTC)

    assert await mark_failed(message_id, "421 busy", now) is False
    await mark_sent(message_id, now)

    unclaimed = await entry(message_id)
    assert (unclaimed.status, unclaimed.last_error, unclaimed.sent_at) == (OutboxStatus.QUEUED, "", None)


async def test_a_claimed_message_is_not_sent_before_it_is_marked_sending(database):
    message_id = await queue_email(confirmation())
    now = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, now, WORKER)

    await mark_sent(message_id, now)

    assert (await entry(message_id)).status is OutboxStatus.CLAIMED


async def test_a_living_workers_claims_are_never_taken(database):
    await queue_email(confirmation())
    claimed_at = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, claimed_at, WORKER)

    await renew_lease(WORKER, claimed_at + WORKER_LEASE - timedelta(seconds=1))  # its heartbeat

    assert await claim_due_messages(5, claimed_at + WORKER_LEASE + timedelta(seconds=1), OTHER_WORKER) == []


async def test_a_dead_workers_claims_are_taken_back_as_soon_as_its_lease_lapses(database):
    message_ids = [await queue_email(confirmation(f"guest{number}@example.org")) for number in range(3)]
    crashed_at = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, crashed_at, WORKER)
    assert await begin_sending(message_ids[0], WORKER) is True  # killed while handing over the first

    assert await claim_due_messages(5, crashed_at + WORKER_LEASE, OTHER_WORKER) == []
    reclaimed = await claim_due_messages(5, crashed_at + WORKER_LEASE + timedelta(seconds=1), OTHER_WORKER)

    # At least once: the one being sent goes again, and the rest of the batch with it.
    assert [(message.id, message.attempts) for message in reclaimed] == [
        (message_id, 2) for message_id in message_ids
    ]
    assert {(await entry(message_id)).status for message_id in message_ids} == {OutboxStatus.CLAIMED}


async def test_an_at_most_once_message_its_worker_died_sending_is_uncertain_and_never_sent_again(database):
    campaign = await queue_email(confirmation("ada@example.org", kind="campaign", at_most_once=True))
    unsent = await queue_email(confirmation("bob@example.org", kind="campaign", at_most_once=True))
    crashed_at = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, crashed_at, WORKER)
    assert await begin_sending(campaign, WORKER) is True

    later = crashed_at + WORKER_LEASE + timedelta(seconds=1)
    [reclaimed] = await claim_due_messages(5, later, OTHER_WORKER)

    assert reclaimed.id == unsent  # claimed, never handed over: still to be sent
    uncertain = await entry(campaign)
    assert uncertain.status is OutboxStatus.UNCERTAIN
    assert uncertain.last_error.startswith("uncertain")
    assert await claim_due_messages(5, later + timedelta(days=1), OTHER_WORKER) == []


async def test_a_worker_taken_for_dead_may_not_send_what_was_taken_back(database):
    message_id = await queue_email(confirmation(kind="campaign", at_most_once=True))
    claimed_at = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, claimed_at, WORKER)
    await claim_due_messages(5, claimed_at + WORKER_LEASE + timedelta(seconds=1), OTHER_WORKER)

    assert await begin_sending(message_id, WORKER) is False
    assert await begin_sending(message_id, OTHER_WORKER) is True


async def test_a_worker_that_stops_gives_its_claims_back_at_once(database):
    message_id = await queue_email(confirmation())
    now = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, now, WORKER)

    await retire_worker(WORKER)

    [reclaimed] = await claim_due_messages(5, now, OTHER_WORKER)
    assert reclaimed.id == message_id


async def test_a_taken_back_claim_without_attempts_left_is_given_up(database):
    message_id = await queue_email(confirmation())
    crashed_at = datetime.now(UTC) + timedelta(seconds=1)
    await claim_due_messages(5, crashed_at, WORKER)
    await OutboxMessage.update({OutboxMessage.attempts: MAX_ATTEMPTS}).where(OutboxMessage.id == message_id)

    assert await claim_due_messages(5, crashed_at + WORKER_LEASE + timedelta(seconds=1), OTHER_WORKER) == []

    abandoned = await entry(message_id)
    assert abandoned.status is OutboxStatus.FAILED
    assert abandoned.last_error.startswith("abandoned")


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient": "ada@example.org\r\nBcc: everyone@example.org"},
        {"subject": "Your tickets\nBcc: everyone@example.org"},
        {"headers": {"List-Unsubscribe": "<https://townhall.example/u>\r\nBcc: everyone@example.org"}},
        {"headers": {"Bcc": "everyone@example.org"}},
        {"headers": {"content-type": "text/html"}},
    ],
)
def test_an_email_that_could_smuggle_in_headers_is_refused(changes):
    with pytest.raises(ValueError):
        confirmation(**changes)


@pytest.mark.parametrize("content_type", ["pdf", "application/", "multipart/mixed"])
def test_an_attachment_needs_the_media_type_of_a_file(content_type):
    with pytest.raises(ValueError):
        Attachment("tickets.pdf", content_type, b"%PDF")

"""The loop of `boxoffice worker` that empties the outbox through SMTP.

Any number of workers may run at once, on any machines: each claims its own batch under an identity whose
lease a heartbeat renews while the process lives (see `mail.outbox` for what is promised when one dies
mid-batch). The log names messages
by id and kind only; recipients, subjects and the server's verdicts on messages (which often quote the
recipient) stay in the outbox rows, where erasure can reach them. Only replies that concern the server
itself (unreachable, login refused) are logged as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from boxoffice.crash_points import crash_point
from boxoffice.mail.outbox import (
    WORKER_LEASE,
    Attachment,
    AttachmentRecipe,
    ClaimedMessage,
    begin_sending,
    claim_due_messages,
    mark_failed,
    mark_sent,
    mark_uncertain,
    new_worker_id,
    renew_lease,
    retire_worker,
    store_made_attachment,
)
from boxoffice.mail.smtp import SendFailed, ServerUnavailable, SmtpSettings, send_message
from boxoffice.mail.tables import OutboxStatus

log = logging.getLogger(__name__)

# A throttled batch is no bigger than can be sent in this time, so that stopping the worker never waits
# long and no claimed message waits long behind the others of its batch.
THROTTLED_BATCH_SECONDS = 30

# The heartbeat renews the worker's lease this often: three chances before it lapses.
HEARTBEAT_SECONDS = WORKER_LEASE.total_seconds() / 3

# Makes the content of an attachment queued as an `AttachmentRecipe`, from the recipe's `made_from`.
AttachmentMaker = Callable[[int], Awaitable[bytes]]


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed + self.uncertain


async def send_due_messages(
    smtp: SmtpSettings,
    *,
    worker_id: str | None = None,
    batch_size: int = 20,
    now: datetime | None = None,
    rate_per_minute: int | None = None,
    attachment_makers: Mapping[str, AttachmentMaker] | None = None,
    stop: asyncio.Event | None = None,
) -> SendReport:
    """Claim one batch of due messages and send each, recording the outcome.

    When the server turns out to be unavailable, the rest of the batch is put back for a retry at once
    rather than tried one by one: against an unresponsive host each try would wait for the timeout.
    `now` fixes the time the outbox is read and written with (tests); by default it is the clock's.
    With `rate_per_minute`, the worker pauses after every message so that the rate holds across batches.
    Attachments queued as recipes are made by `attachment_makers` before a message's first try.
    A message whose claim was taken back meanwhile (this worker was taken for dead) is left alone.
    Once `stop` is set (SIGTERM), the message being sent is finished and recorded, and the rest of the
    batch is left claimed for `retire_worker` to give back.
    Without `worker_id` (a single batch, as tests send), the batch is sent under an identity of its own.
    """
    if worker_id is None:
        one_batch_worker = new_worker_id()
        try:
            return await send_due_messages(
                smtp,
                worker_id=one_batch_worker,
                batch_size=batch_size,
                now=now,
                rate_per_minute=rate_per_minute,
                attachment_makers=attachment_makers,
            )
        finally:
            await retire_worker(one_batch_worker)

    def current_time() -> datetime:
        return now or datetime.now(UTC)

    pause = 60 / rate_per_minute if rate_per_minute else 0
    if rate_per_minute:
        batch_size = min(batch_size, max(1, rate_per_minute * THROTTLED_BATCH_SECONDS // 60))
    outcomes: Counter[OutboxStatus] = Counter()
    claimed = await claim_due_messages(batch_size, current_time(), worker_id)
    for position, message in enumerate(claimed):
        if stop is not None and stop.is_set():
            log.info("stopping: %s claimed message(s) left for the next worker", len(claimed) - position)
            break
        try:
            ready = await with_attachments_made(message, attachment_makers or {})
            if not await begin_sending(message.id, worker_id):
                log.warning(
                    "message %s (%s) is no longer this worker's to send", message.id, message.email.kind
                )
                continue
            await send_message(smtp, ready)
            crash_point("mail.handed_over")
        except ServerUnavailable as outage:
            log.warning("SMTP server unavailable (%s); %s message(s) left", outage, len(claimed) - position)
            outcomes[await record_failure(message, outage, current_time())] += 1
            for waiting in claimed[position + 1 :]:  # never handed over, so certainly not delivered
                outcomes[await record_failure(waiting, ServerUnavailable(outage.reason), current_time())] += 1
            break
        except SendFailed as failure:
            outcomes[await record_failure(message, failure, current_time())] += 1
        except Exception as error:  # a fault of ours must not strand the rest of the batch
            log.error(
                "message %s (%s): %s while sending", message.id, message.email.kind, type(error).__name__
            )
            failure = SendFailed(f"{type(error).__name__}: {error}", permanent=False)
            outcomes[await record_failure(message, failure, current_time())] += 1
        else:
            await mark_sent(message.id, current_time())
            log.info("message %s (%s) sent", message.id, message.email.kind)
            outcomes[OutboxStatus.SENT] += 1
        if pause:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for((stop or asyncio.Event()).wait(), timeout=pause)
    return SendReport(
        sent=outcomes[OutboxStatus.SENT],
        retrying=outcomes[OutboxStatus.QUEUED],
        failed=outcomes[OutboxStatus.FAILED],
        uncertain=outcomes[OutboxStatus.UNCERTAIN],
    )


async def with_attachments_made(
    message: ClaimedMessage, makers: Mapping[str, AttachmentMaker]
) -> ClaimedMessage:
    """The message with every attachment recipe made into its file, which is kept in the outbox.
    A maker that fails (or is missing) fails this attempt, and the message is retried like any other."""
    if not any(isinstance(attachment, AttachmentRecipe) for attachment in message.email.attachments):
        return message
    attachments = []
    for attachment in message.email.attachments:
        if isinstance(attachment, AttachmentRecipe):
            content = await makers[attachment.made_by](attachment.made_from)
            await store_made_attachment(message.id, attachment, content)
            crash_point("mail.attachment_made")
            attachment = Attachment(attachment.filename, attachment.content_type, content)
        attachments.append(attachment)
    return replace(message, email=replace(message.email, attachments=tuple(attachments)))


async def record_failure(message: ClaimedMessage, failure: SendFailed, now: datetime) -> OutboxStatus:
    """Note a failed attempt on the message; returns the status it was left in. A message to be sent at
    most once is not tried again when the failure may have come after the server took it."""
    if failure.maybe_delivered and message.email.at_most_once:
        await mark_uncertain(message.id, failure.reason)
        log.warning(
            "message %s (%s) may have been delivered; not tried again", message.id, message.email.kind
        )
        return OutboxStatus.UNCERTAIN
    if await mark_failed(message.id, failure.reason, now, failure.permanent):
        log.warning("message %s (%s) failed for good", message.id, message.email.kind)
        return OutboxStatus.FAILED
    log.info("message %s (%s) will be retried", message.id, message.email.kind)
    return OutboxStatus.QUEUED


async def run_worker(
    smtp: SmtpSettings | None,
    *,
    poll_seconds: float = 2.0,
    batch_size: int = 20,
    rate_per_minute: int | None = None,
    attachment_makers: Mapping[str, AttachmentMaker] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Send due messages until `stop` is set, polling the outbox every `poll_seconds` when it is empty.

    Without SMTP settings nothing is sent: messages stay queued and readable in the back office.
    """
    stop = stop or asyncio.Event()
    if smtp is None:
        log.warning("no SMTP server is configured: e-mail stays in the outbox, readable in the back office")
        await stop.wait()
        return
    worker_id = new_worker_id()
    heartbeat = asyncio.create_task(keep_lease(worker_id, stop))
    try:
        while not stop.is_set():
            try:
                report = await send_due_messages(
                    smtp,
                    worker_id=worker_id,
                    batch_size=batch_size,
                    rate_per_minute=rate_per_minute,
                    attachment_makers=attachment_makers,
                    stop=stop,
                )
            except Exception:  # the database may be restarting; the next round tries again
                log.exception("could not work through the outbox")
                report = SendReport()
            if report.claimed:
                continue  # more may be waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        try:
            await retire_worker(worker_id)
        except Exception:  # its lease lapses by itself, and other workers take its claims back then
            log.exception("could not retire worker %s", worker_id)


async def keep_lease(worker_id: str, stop: asyncio.Event) -> None:
    """Renew the worker's lease every HEARTBEAT_SECONDS while it runs, even in the middle of a batch."""
    log.info("worker %s started", worker_id)
    while not stop.is_set():
        try:
            await renew_lease(worker_id, datetime.now(UTC))
        except Exception:  # the database may be restarting; the next beat tries again
            log.exception("could not renew the lease of worker %s", worker_id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=HEARTBEAT_SECONDS)

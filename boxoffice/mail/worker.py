"""The loop of `boxoffice worker` that empties the outbox through SMTP.

Any number of workers may run at once, on any machines: each claims its own batch. The log names messages
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

from boxoffice.mail.outbox import (
    Attachment,
    AttachmentRecipe,
    ClaimedMessage,
    claim_due_messages,
    mark_failed,
    mark_sent,
    store_made_attachment,
)
from boxoffice.mail.smtp import SendFailed, ServerUnavailable, SmtpSettings, send_message
from boxoffice.mail.tables import OutboxStatus

log = logging.getLogger(__name__)

# A throttled batch is no bigger than can be sent in this time, so that stopping the worker never waits
# long and a batch always ends well before its claims could be taken for stale.
THROTTLED_BATCH_SECONDS = 30

# Makes the content of an attachment queued as an `AttachmentRecipe`, from the recipe's `made_from`.
AttachmentMaker = Callable[[int], Awaitable[bytes]]


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed


async def send_due_messages(
    smtp: SmtpSettings,
    *,
    batch_size: int = 20,
    now: datetime | None = None,
    rate_per_minute: int | None = None,
    attachment_makers: Mapping[str, AttachmentMaker] | None = None,
) -> SendReport:
    """Claim one batch of due messages and send each, recording the outcome.

    When the server turns out to be unavailable, the rest of the batch is put back for a retry at once
    rather than tried one by one: against an unresponsive host each try would wait for the timeout.
    `now` fixes the time the outbox is read and written with (tests); by default it is the clock's.
    With `rate_per_minute`, the worker pauses after every message so that the rate holds across batches.
    Attachments queued as recipes are made by `attachment_makers` before a message's first try.
    """

    def current_time() -> datetime:
        return now or datetime.now(UTC)

    pause = 60 / rate_per_minute if rate_per_minute else 0
    if rate_per_minute:
        batch_size = min(batch_size, max(1, rate_per_minute * THROTTLED_BATCH_SECONDS // 60))
    outcomes: Counter[OutboxStatus] = Counter()
    claimed = await claim_due_messages(batch_size, current_time())
    for position, message in enumerate(claimed):
        try:
            await send_message(smtp, await with_attachments_made(message, attachment_makers or {}))
        except ServerUnavailable as outage:
            unsent = claimed[position:]
            log.warning("SMTP server unavailable (%s); %s message(s) wait for a retry", outage, len(unsent))
            for waiting in unsent:
                outcomes[await record_failure(waiting, outage, current_time())] += 1
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
            await asyncio.sleep(pause)
    return SendReport(
        sent=outcomes[OutboxStatus.SENT],
        retrying=outcomes[OutboxStatus.QUEUED],
        failed=outcomes[OutboxStatus.FAILED],
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
            attachment = Attachment(attachment.filename, attachment.content_type, content)
        attachments.append(attachment)
    return replace(message, email=replace(message.email, attachments=tuple(attachments)))


async def record_failure(message: ClaimedMessage, failure: SendFailed, now: datetime) -> OutboxStatus:
    """Note a failed attempt on the message; returns the status it was left in."""
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
    while not stop.is_set():
        try:
            report = await send_due_messages(
                smtp,
                batch_size=batch_size,
                rate_per_minute=rate_per_minute,
                attachment_makers=attachment_makers,
            )
        except Exception:  # the database may be restarting; the next round tries again
            log.exception("could not work through the outbox")
            report = SendReport()
        if report.claimed:
            continue  # more may be waiting
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)

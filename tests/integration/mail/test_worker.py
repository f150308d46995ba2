"""The worker sending the outbox through a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from boxoffice.mail.email_log import OutboxEntry, message_detail
from boxoffice.mail.outbox import MAX_ATTEMPTS, Attachment, AttachmentRecipe, Email, queue_email, retry_delay
from boxoffice.mail.smtp import SmtpSettings
from boxoffice.mail.tables import OutboxStatus
from boxoffice.mail.worker import SendReport, run_worker, send_due_messages
from tests.support.smtp import SENDER_ADDRESS, SmtpServer

TICKETS_PDF = Attachment(
    "tickets.pdf", "application/pdf", b"%PDF-1.7\n\x00\xff\xfe\x80 binary \r\n.\r\n%%EOF"
)
UNSUBSCRIBE = "<https://townhall.example/unsubscribe/abc>, <mailto:unsubscribe@townhall.example>"


def confirmation(recipient: str = "ada@example.org", **changes) -> Email:
    return Email(
        **{
            "recipient": recipient,
            "subject": "Your tickets for Café Müller – 2 seats",
            "text": "Thank you for your order.\n\nSee you at the show.",
            "kind": "order_confirmation",
            **changes,
        }
    )


def soon() -> datetime:
    """A moment after anything queued so far has become due."""
    return datetime.now(UTC) + timedelta(seconds=1)


def text_of(part: EmailMessage) -> str:
    """A text part's content with the line endings it had before SMTP made them CRLF."""
    return part.get_content().replace("\r\n", "\n")


async def status_of(message_id: int) -> OutboxEntry:
    detail = await message_detail(message_id)
    assert detail is not None
    return detail.entry


async def test_a_sent_message_arrives_whole(database, smtp_server: SmtpServer, smtp_settings: SmtpSettings):
    html = "<p>Thank you for your order.</p><p>See you at the show.</p>"
    message_id = await queue_email(
        confirmation(
            html=html,
            headers={"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            attachments=(TICKETS_PDF,),
        )
    )

    assert await send_due_messages(smtp_settings, now=soon()) == SendReport(sent=1)

    [received] = smtp_server.messages
    assert received["Subject"] == "Your tickets for Café Müller – 2 seats"
    assert received["To"] == "ada@example.org"
    assert received["From"].addresses[0].addr_spec == SENDER_ADDRESS
    assert received["From"].addresses[0].display_name == "Town Hall Box Office"
    assert received["Message-ID"].endswith("@townhall.example>")
    assert received["Date"].datetime.tzinfo is not None
    assert received["List-Unsubscribe"] == UNSUBSCRIBE
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert text_of(received.get_body(("plain",))) == "Thank you for your order.\n\nSee you at the show.\n"
    assert text_of(received.get_body(("html",))) == html + "\n"
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "tickets.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == TICKETS_PDF.content
    [delivery] = smtp_server.deliveries
    assert (delivery.mail_from, delivery.rcpt_tos) == (SENDER_ADDRESS, ["ada@example.org"])

    sent = await status_of(message_id)
    assert sent.status is OutboxStatus.SENT and sent.attempts == 1 and sent.sent_at is not None


async def test_a_text_only_message_is_a_single_plain_part(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    await queue_email(confirmation())

    await send_due_messages(smtp_settings, now=soon())

    [received] = smtp_server.messages
    assert received.get_content_type() == "text/plain"
    assert text_of(received) == "Thank you for your order.\n\nSee you at the show.\n"


async def test_an_unreachable_server_means_a_retry_later(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    message_id = await queue_email(confirmation())
    smtp_server.stop()
    failed_at = soon()

    assert await send_due_messages(smtp_settings, now=failed_at) == SendReport(retrying=1)

    waiting = await status_of(message_id)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.QUEUED, 1)
    assert waiting.next_attempt_at == failed_at + retry_delay(1)
    assert waiting.last_error

    smtp_server.start()
    assert await send_due_messages(smtp_settings, now=failed_at + timedelta(seconds=30)) == SendReport()
    assert await send_due_messages(smtp_settings, now=waiting.next_attempt_at) == SendReport(sent=1)
    assert len(smtp_server.messages) == 1
    assert (await status_of(message_id)).attempts == 2


async def test_a_server_that_never_answers_is_tried_once_per_batch(database, smtp_settings: SmtpSettings):
    connections = 0

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read()  # until the client gives up and hangs up
        writer.close()

    silent_server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    silent_port = silent_server.sockets[0].getsockname()[1]
    ids = [await queue_email(confirmation(f"guest{number}@example.org")) for number in range(3)]

    async with silent_server:
        report = await send_due_messages(replace(smtp_settings, port=silent_port, timeout=0.3), now=soon())

    assert report == SendReport(retrying=3)
    assert connections == 1
    for message_id in ids:
        waiting = await status_of(message_id)
        assert (waiting.status, waiting.attempts) == (OutboxStatus.QUEUED, 1)
        assert "Timeout" in waiting.last_error


async def test_the_worker_logs_in_and_a_refused_login_fails_no_message_for_good(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    smtp_server.accept_login("boxoffice", "right password")
    message_id = await queue_email(confirmation())
    now = soon()

    wrong_login = replace(smtp_settings, username="boxoffice", password="wrong password")
    assert await send_due_messages(wrong_login, now=now) == SendReport(retrying=1)
    assert (await status_of(message_id)).last_error.startswith("535")

    right_login = replace(wrong_login, password="right password")
    assert await send_due_messages(right_login, now=now + retry_delay(1)) == SendReport(sent=1)
    assert [delivery.login for delivery in smtp_server.deliveries] == ["boxoffice"]


async def test_a_server_that_stays_unreachable_exhausts_the_attempts(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    message_id = await queue_email(confirmation())
    smtp_server.stop()
    now = soon()

    for _ in range(MAX_ATTEMPTS - 1):
        assert await send_due_messages(smtp_settings, now=now) == SendReport(retrying=1)
        now = (await status_of(message_id)).next_attempt_at
    assert await send_due_messages(smtp_settings, now=now) == SendReport(failed=1)

    given_up = await status_of(message_id)
    assert (given_up.status, given_up.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)


async def test_a_refused_recipient_fails_at_once_and_the_rest_still_go(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    smtp_server.refuse("nobody@example.org")
    refused_id = await queue_email(confirmation("nobody@example.org"))
    await queue_email(confirmation("ada@example.org"))

    assert await send_due_messages(smtp_settings, now=soon()) == SendReport(sent=1, failed=1)

    refused = await status_of(refused_id)
    assert (refused.status, refused.attempts) == (OutboxStatus.FAILED, 1)
    assert refused.last_error.startswith("550")
    assert [message["To"] for message in smtp_server.messages] == ["ada@example.org"]


async def test_the_log_names_messages_without_personal_data(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="boxoffice.mail")
    smtp_server.refuse("nobody@example.org")
    sent_id = await queue_email(confirmation("ada@example.org"))
    refused_id = await queue_email(confirmation("nobody@example.org"))

    await send_due_messages(smtp_settings, now=soon())
    smtp_server.stop()
    retried_id = await queue_email(confirmation("grace@example.org"))
    await send_due_messages(smtp_settings, now=soon())

    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("boxoffice")
    )
    for message_id in (sent_id, refused_id, retried_id):
        assert f"message {message_id} (order_confirmation)" in logged
    for personal in ("ada@", "nobody@", "grace@", "Café", "Thank you"):
        assert personal not in logged


async def test_throttling_spaces_the_messages_out(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    for number in range(3):
        await queue_email(confirmation(f"guest{number}@example.org"))

    started = time.monotonic()
    report = await send_due_messages(smtp_settings, now=soon(), rate_per_minute=600)

    assert report == SendReport(sent=3)
    assert time.monotonic() - started >= 3 * 60 / 600


async def test_the_worker_sends_until_told_to_stop(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(smtp_settings, poll_seconds=0.05, stop=stop))
    message_id = await queue_email(confirmation())

    assert await asyncio.to_thread(smtp_server.wait_for_messages, 1, 10)
    stop.set()
    await asyncio.wait_for(worker, timeout=2)

    assert (await status_of(message_id)).status is OutboxStatus.SENT


async def test_without_smtp_the_worker_keeps_mail_in_the_outbox(database, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="boxoffice.mail")
    message_id = await queue_email(confirmation())
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(None, poll_seconds=0.05, stop=stop))

    await asyncio.sleep(0.2)
    assert not worker.done()
    stop.set()
    await asyncio.wait_for(worker, timeout=2)

    assert (await status_of(message_id)).status is OutboxStatus.QUEUED
    assert "no SMTP server is configured" in caplog.text


async def test_an_attachment_queued_as_a_recipe_is_made_once_before_sending(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    made_from: list[int] = []

    async def make_programme(order_id: int) -> bytes:
        made_from.append(order_id)
        return f"programme for order {order_id}".encode()

    recipe = AttachmentRecipe("programme.txt", "text/plain", "programme", 42)
    message_id = await queue_email(confirmation(attachments=(TICKETS_PDF, recipe)))

    report = await send_due_messages(
        smtp_settings, now=soon(), attachment_makers={"programme": make_programme}
    )

    assert report == SendReport(sent=1) and made_from == [42]
    [received] = smtp_server.messages
    assert [(part.get_filename(), part.get_content()) for part in received.iter_attachments()] == [
        ("tickets.pdf", TICKETS_PDF.content),
        ("programme.txt", "programme for order 42"),
    ]
    detail = await message_detail(message_id)
    assert detail.email.attachments[1] == Attachment("programme.txt", "text/plain", b"programme for order 42")


async def test_a_maker_that_fails_holds_its_message_for_a_retry_and_the_rest_still_go(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    async def broken(order_id: int) -> bytes:
        raise LookupError(f"order {order_id} is gone")

    held = await queue_email(
        confirmation(attachments=(AttachmentRecipe("t.pdf", "application/pdf", "tickets", 7),))
    )
    await queue_email(confirmation("grace@example.org"))

    report = await send_due_messages(smtp_settings, now=soon(), attachment_makers={"tickets": broken})

    assert report == SendReport(sent=1, retrying=1)
    assert [message["To"] for message in smtp_server.messages] == ["grace@example.org"]
    entry = await status_of(held)
    assert entry.status is OutboxStatus.QUEUED and "order 7 is gone" in entry.last_error


async def test_a_campaign_message_whose_connection_was_lost_as_it_went_is_uncertain_and_not_sent_again(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    message_id = await queue_email(confirmation(kind="campaign", at_most_once=True))
    smtp_server.drop_when_accepting()

    assert await send_due_messages(smtp_settings, now=soon()) == SendReport(uncertain=1)

    uncertain = await status_of(message_id)
    assert uncertain.status is OutboxStatus.UNCERTAIN and uncertain.last_error.startswith("uncertain")
    assert await send_due_messages(smtp_settings, now=soon() + timedelta(days=1)) == SendReport()
    assert len(smtp_server.messages) == 1


async def test_a_confirmation_whose_connection_was_lost_as_it_went_is_sent_again_with_its_message_id(
    database, smtp_server: SmtpServer, smtp_settings: SmtpSettings
):
    message_id = await queue_email(confirmation())
    smtp_server.drop_when_accepting()

    assert await send_due_messages(smtp_settings, now=soon()) == SendReport(retrying=1)
    waiting = await status_of(message_id)
    assert await send_due_messages(smtp_settings, now=waiting.next_attempt_at) == SendReport(sent=1)

    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert (await status_of(message_id)).status is OutboxStatus.SENT

"""The privacy centre as a customer's browser and mailbox use it, in integration tests: ask for a link,
let the outbox deliver it through the test's SMTP server, and follow it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx

from boxoffice.mail.smtp import SmtpSettings
from boxoffice.mail.worker import send_due_messages
from boxoffice.tickets.pdf import ATTACHMENT_MAKERS
from tests.support.smtp import SmtpServer
from tests.support.staff import post_form

LINK = re.compile(r"https?://[^/\s]+(/privacy-centre/sign-in/[A-Za-z0-9_-]+)")


async def ask_for_link(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/privacy-centre/link", {"email": email}, form_page="/privacy-centre")


async def deliver(smtp_settings: SmtpSettings) -> None:
    """What the worker does: send every message due, through the test's SMTP server."""
    await send_due_messages(
        smtp_settings, now=datetime.now(UTC) + timedelta(seconds=1), attachment_makers=ATTACHMENT_MAKERS
    )


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def messages_to(smtp_server: SmtpServer, address: str) -> list[EmailMessage]:
    return [message for message in smtp_server.messages if message["To"] == address]


def sign_in_link(smtp_server: SmtpServer, address: str) -> str:
    """The path of the latest sign-in link the address received."""
    links = [
        found.group(1)
        for message in messages_to(smtp_server, address)
        if (found := LINK.search(text_of(message)))
    ]
    assert links, f"no sign-in link reached {address}"
    return links[-1]


async def use_link(client: httpx.AsyncClient, path: str) -> httpx.Response:
    """Press the page's Sign in button, as the person does after opening the link."""
    return await post_form(client, path, {})


async def signed_in_by_mail(
    client: httpx.AsyncClient, smtp_server: SmtpServer, smtp_settings: SmtpSettings, address: str
) -> httpx.Response:
    """Ask for a link, receive it and use it: the answer to using it."""
    asked = await ask_for_link(client, address)
    assert asked.status_code == 303, asked.text
    await deliver(smtp_settings)
    return await use_link(client, sign_in_link(smtp_server, address))

"""Turning a claimed message into MIME and handing it to an SMTP server.

Failures come in three kinds, because the worker treats each differently:
- the server's 5xx verdict on this message (its recipient refused, its content rejected): `SendFailed`
  with `permanent` set, given up at once;
- a 4xx verdict on this message: `SendFailed`, retried later;
- the server could not be reached or would not take mail from us at all (network errors, timeouts,
  refused logins or sender): `ServerUnavailable`, which says nothing about this message and would hit the
  rest of the batch the same way, so the worker puts them all back for a retry. Refused logins and
  senders are 5xx too, but they come from the configuration and must not fail every message for good.
A connection lost (or a reply not heard) once the message was on its way may have come after the server
took it: such a failure says `maybe_delivered`, and a message to be sent at most once is not tried again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from boxoffice.mail.outbox import ClaimedMessage


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server. `sender` is the From value, optionally with a display name.

    `starttls` upgrades a plain connection (port 587) and fails if the server cannot; `use_tls` speaks
    TLS from the first byte (port 465).
    """

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    starttls: bool
    use_tls: bool
    sender: str
    timeout: float = 30

    def __post_init__(self) -> None:
        envelope_address(self.sender)
        if self.starttls and self.use_tls:
            raise ValueError("STARTTLS and TLS from the start exclude each other")


class SendFailed(Exception):
    """The server did not take the message, or (`maybe_delivered`) we cannot tell whether it did;
    `reason` is its reply or the network error."""

    def __init__(self, reason: str, *, permanent: bool, maybe_delivered: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.maybe_delivered = maybe_delivered


class ServerUnavailable(SendFailed):
    """The server was unreachable or refused us, not the message: the rest of the batch would fare the
    same. Only a connection lost in the middle of sending leaves this message `maybe_delivered`."""

    def __init__(self, reason: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(reason, permanent=False, maybe_delivered=maybe_delivered)


def build_mime(message: ClaimedMessage, sender: str) -> EmailMessage:
    """The message as it goes over the wire: text, with an HTML alternative and attachments if any."""
    email = message.email
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = email.recipient
    mime["Subject"] = email.subject
    mime["Date"] = format_datetime(datetime.now(UTC))
    mime["Message-ID"] = message_id_header(message, envelope_address(sender).domain)
    for name, value in email.headers.items():
        mime[name] = value
    mime.set_content(email.text)
    if email.html is not None:
        mime.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mime


def message_id_header(message: ClaimedMessage, domain: str) -> str:
    """The Message-ID of an outbox row, the same on every attempt: a message sent again after a worker
    died mid-send (at least once) reaches the recipient's mail system as the copy it is, to be dropped.
    The time it was queued keeps ids apart across databases (a fresh install counts rows from 1 again)."""
    return f"<{message.queued_at.astimezone(UTC):%Y%m%d%H%M%S.%f}.{message.id}.outbox@{domain}>"


def envelope_address(sender: str) -> Address:
    """The one address in a From value such as `Town Hall <box@example.org>`, or ValueError."""
    message = EmailMessage()
    message["From"] = sender
    addresses = message["From"].addresses
    if len(addresses) != 1 or not addresses[0].domain:
        raise ValueError(f"{sender!r} is not one e-mail address")
    return addresses[0]


async def send_message(settings: SmtpSettings, message: ClaimedMessage) -> None:
    """Deliver one message to the SMTP server, or raise SendFailed. Connecting and logging in come
    first and apart, so that a failure there is known to have sent nothing; once the server has taken
    the message, a failure to say goodbye is no failure of the message."""
    try:
        mime = build_mime(message, settings.sender)
    except (ValueError, TypeError, MessageError) as error:
        raise SendFailed(f"the message cannot be written as MIME: {error}", permanent=True) from error
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password,
        start_tls=settings.starttls,
        use_tls=settings.use_tls,
        timeout=settings.timeout,
    )
    try:
        await client.connect()
    except aiosmtplib.SMTPResponseException as error:
        raise ServerUnavailable(f"{error.code} {error.message}") from error
    except (aiosmtplib.SMTPException, OSError) as error:
        raise ServerUnavailable(f"{type(error).__name__}: {error}") from error
    try:
        await client.send_message(
            mime, sender=envelope_address(settings.sender).addr_spec, recipients=[message.email.recipient]
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        refusals = error.recipients
        raise SendFailed(
            "; ".join(f"{refusal.code} {refusal.message}" for refusal in refusals),
            permanent=all(is_permanent(refusal.code) for refusal in refusals),
        ) from error
    except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as error:
        raise SendFailed(f"{error.code} {error.message}", permanent=is_permanent(error.code)) from error
    except aiosmtplib.SMTPResponseException as error:
        raise ServerUnavailable(f"{error.code} {error.message}") from error
    except (aiosmtplib.SMTPException, OSError) as error:
        raise ServerUnavailable(f"{type(error).__name__}: {error}", maybe_delivered=True) from error
    finally:
        await say_goodbye(client)


async def say_goodbye(client: aiosmtplib.SMTP) -> None:
    """QUIT, or just close the connection when the server will not hear it."""
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def is_permanent(reply_code: int) -> bool:
    return 500 <= reply_code < 600

"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests of outgoing e-mail."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from boxoffice.mail.smtp import SmtpSettings
from tests.support.server import free_port

SENDER_ADDRESS = "boxoffice@townhall.example"


@dataclass(frozen=True)
class Delivery:
    """What the server was told beside the message itself: the envelope, and who logged in if anyone."""

    mail_from: str
    rcpt_tos: list[str]
    login: str | None


@dataclass
class RecordingHandler:
    """Runs on the server's own thread; `arrived` lets a test's thread wait for messages."""

    messages: list[EmailMessage] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    refused_recipients: set[str] = field(default_factory=set)
    credentials: LoginPassword | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)
    kill_on_accept: int | None = None  # a process id
    drop_on_accept: bool = False
    answer_delay: float = 0.0  # seconds between keeping a message and answering 250

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refused_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        with self.arrived:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            login = session.auth_data.login.decode() if session.authenticated else None
            self.deliveries.append(
                Delivery(mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos), login=login)
            )
            self.arrived.notify_all()
        if self.answer_delay:  # a slow server: the sender waits for its verdict meanwhile
            await asyncio.sleep(self.answer_delay)
        if self.drop_on_accept:  # the connection is lost before our 250 reaches the sender
            self.drop_on_accept = False
            server.transport.close()
        if self.kill_on_accept is not None:
            # The worst moment for a sender to die: the message is ours, but our 250 never reaches it.
            os.kill(self.kill_on_accept, signal.SIGKILL)
            self.kill_on_accept = None
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        return AuthResult(success=auth_data == self.credentials, handled=False, auth_data=auth_data)


class SmtpServer:
    """The running server: `.messages` as parsed, `refuse()` a recipient, `accept_login()` for a user,
    `drop_when_accepting()` or `kill_when_accepting()` the sender, `answer_slowly()`, `stop()` and
    `start()` it."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port(self.host)
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    @property
    def deliveries(self) -> list[Delivery]:
        return self.handler.deliveries

    def wait_for_messages(self, count: int, timeout: float) -> bool:
        """Block until `count` messages have arrived (run it with asyncio.to_thread); False on timeout."""
        with self.handler.arrived:
            return self.handler.arrived.wait_for(lambda: len(self.messages) >= count, timeout)

    def accept_login(self, username: str, password: str) -> None:
        """Offer AUTH (over plain text: this is loopback) and let in only this user."""
        self.handler.credentials = LoginPassword(username.encode(), password.encode())
        self.stop()
        self.start()

    def drop_when_accepting(self) -> None:
        """On the next message: keep it, then close the connection instead of answering 250."""
        self.handler.drop_on_accept = True

    def kill_when_accepting(self, process_id: int) -> None:
        """On the next message: keep it, then SIGKILL the sending process before answering 250."""
        self.handler.kill_on_accept = process_id

    def answer_slowly(self, seconds: float) -> None:
        """Keep each message at once, but answer 250 only `seconds` later."""
        self.handler.answer_delay = seconds

    def refuse(self, recipient: str) -> None:
        """Answer RCPT TO for this address with 550, as a server that knows no such user does."""
        self.handler.refused_recipients.add(recipient)

    def start(self) -> None:
        login = {"authenticator": self.handler.authenticate, "auth_require_tls": False}
        self.controller = Controller(
            self.handler, hostname=self.host, port=self.port, **(login if self.handler.credentials else {})
        )
        self.controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until start() is called again."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_settings(smtp_server: SmtpServer) -> SmtpSettings:
    """Settings that send to `smtp_server`, as the venue's box office."""
    return SmtpSettings(
        host=smtp_server.host,
        port=smtp_server.port,
        username=None,
        password=None,
        starttls=False,
        use_tls=False,
        sender=f"Town Hall Box Office <{SENDER_ADDRESS}>",
        timeout=5,
    )

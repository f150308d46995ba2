from __future__ import annotations

import pytest

from boxoffice.mail.smtp import SmtpSettings
from tests.support.smtp import SmtpServer, smtp_server  # noqa: F401 - a fixture, found by pytest here

SENDER_ADDRESS = "boxoffice@townhall.example"


@pytest.fixture
def smtp_settings(smtp_server: SmtpServer) -> SmtpSettings:  # noqa: F811 - the fixture imported above
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

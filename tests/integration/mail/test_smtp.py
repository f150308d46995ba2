"""SMTP settings that cannot work are refused when they are made, not when the first e-mail fails."""

from __future__ import annotations

import pytest

from boxoffice.mail.smtp import SmtpSettings


def settings(**changes) -> SmtpSettings:
    return SmtpSettings(
        **{
            "host": "smtp.townhall.example",
            "port": 587,
            "username": "boxoffice",
            "password": "correct horse battery staple",
            "starttls": True,
            "use_tls": False,
            "sender": "Town Hall Box Office <boxoffice@townhall.example>",
            **changes,
        }
    )


@pytest.mark.parametrize("sender", ["", "boxoffice", "a@townhall.example, b@townhall.example"])
def test_the_sender_must_be_one_address(sender):
    with pytest.raises(ValueError):
        settings(sender=sender)


def test_starttls_and_tls_from_the_start_exclude_each_other():
    with pytest.raises(ValueError):
        settings(starttls=True, use_tls=True)
    assert settings(starttls=False, use_tls=True).use_tls


def test_the_password_never_shows_in_a_repr():
    assert "correct horse" not in repr(settings())

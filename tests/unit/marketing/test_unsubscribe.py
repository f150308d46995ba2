"""Unsubscribe tokens: what we sign reads back, and anything else, or anything late, is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.marketing.unsubscribe import TOKEN_LIFETIME, TokenRefused, make_token, read_token

SECRET = "a-secret-key-that-is-long-enough-for-tests"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_a_token_reads_back_as_its_contact_campaign_and_expiry():
    token = make_token(SECRET, contact_id=42, campaign_id=7, now=NOW)

    read = read_token(SECRET, token, NOW + TOKEN_LIFETIME - timedelta(seconds=1))

    assert (read.contact_id, read.campaign_id) == (42, 7)
    assert read.expires_at == NOW + TOKEN_LIFETIME
    assert token.isascii() and "/" not in token and "=" not in token  # fits in a URL path as it is


def test_an_expired_token_is_refused_as_expired():
    token = make_token(SECRET, contact_id=42, campaign_id=7, now=NOW)

    with pytest.raises(TokenRefused) as refusal:
        read_token(SECRET, token, NOW + TOKEN_LIFETIME)
    assert refusal.value.expired is True


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: (
            make_token(SECRET, contact_id=43, campaign_id=7, now=NOW).split(".")[0]
            + "."
            + token.split(".")[1]
        ),
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.split(".")[0],
        lambda token: token + "x",
        lambda token: "not a token",
        lambda token: "",
        lambda token: "!!!.???",
    ],
)
def test_a_tampered_token_is_refused_as_invalid(tamper):
    token = make_token(SECRET, contact_id=42, campaign_id=7, now=NOW)

    with pytest.raises(TokenRefused) as refusal:
        read_token(SECRET, tamper(token), NOW)
    assert refusal.value.expired is False


def test_a_token_signed_under_another_secret_key_is_refused():
    token = make_token("another-secret-key-that-is-long-enough", contact_id=42, campaign_id=7, now=NOW)

    with pytest.raises(TokenRefused):
        read_token(SECRET, token, NOW)

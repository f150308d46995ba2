"""Secrets kept in the database (TOTP seeds, API tokens), encrypted under keys from the environment.

A stolen database or backup is then no use without the keys. Keys rotate: the first key encrypts, every
key decrypts, and `SecretBox.rotate` moves a stored secret onto the first key, after which the old key
can be dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretUnreadable(Exception):
    """No configured key opens this token: it is damaged, or was made under a key since removed."""


class SecretBox:
    """Fernet encryption (AES-128-CBC with HMAC-SHA256) under a current key and any older ones."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        self.fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            plaintext = self.fernet.decrypt(token)
        except (InvalidToken, ValueError):  # ValueError: a token that is not even ASCII
            raise SecretUnreadable("no configured key opens this secret") from None
        return plaintext.decode()

    def rotate(self, token: str) -> str:
        """The same secret encrypted under the current key."""
        try:
            return self.fernet.rotate(token).decode("ascii")
        except (InvalidToken, ValueError):
            raise SecretUnreadable("no configured key opens this secret") from None


def parse_keys(raw: str) -> list[bytes]:
    """Comma-separated Fernet keys, the current one first. A bad key is named by position, never shown."""
    keys = [piece.strip().encode() for piece in raw.split(",") if piece.strip()]
    if not keys:
        raise ValueError("no key given; list Fernet keys separated by commas, the current one first")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} of {len(keys)} is not a Fernet key (44 characters of URL-safe base64)"
            ) from None
    return keys


def new_key() -> str:
    """A fresh random key, to put first in the list of keys."""
    return Fernet.generate_key().decode("ascii")

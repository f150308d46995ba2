"""Ticket codes signed with the venue's Ed25519 key, so a scanner can tell a forged ticket from a real
one without asking the database.

A QR code holds `BX1.<code>.<signature>`: the ticket's 16-character code and an Ed25519 signature of it,
base64url without padding. People type the code alone, shown as four groups of four.

The key pair is made on first use and kept in a file beside the database (or where
BOXOFFICE_TICKET_KEY_FILE says), never in the database itself, so a copy of the data cannot mint tickets.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

PAYLOAD_PREFIX = "BX1"
CODE_PATTERN = re.compile(r"[A-Z2-9]{16}")
MAX_SCAN_LENGTH = 200


def unpadded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def padded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TicketSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key: Ed25519PublicKey = private_key.public_key()

    def qr_payload(self, code: str) -> str:
        return f"{PAYLOAD_PREFIX}.{code}.{unpadded(self.private_key.sign(code.encode()))}"

    def code_from_scan(self, scanned: str) -> str | None:
        """The ticket code a scanner or a person entered, or None when it is not one of ours.

        A signed payload must carry a valid signature; a typed code (dashes and spaces ignored, any case)
        only has to have the shape of one, and is then looked up."""
        text = scanned.strip()
        if not text or len(text) > MAX_SCAN_LENGTH:
            return None
        if text.startswith(f"{PAYLOAD_PREFIX}."):
            parts = text.split(".")
            if len(parts) != 3 or not CODE_PATTERN.fullmatch(parts[1]):
                return None
            try:
                self.public_key.verify(padded(parts[2]), parts[1].encode())
            except (InvalidSignature, ValueError):
                return None
            return parts[1]
        typed = re.sub(r"[\s-]", "", text).upper()
        return typed if CODE_PATTERN.fullmatch(typed) else None


def readable_code(code: str) -> str:
    """ABCDEFGHJKLMNPQR as ABCD-EFGH-JKLM-NPQR, for reading aloud and typing at the door."""
    return "-".join(code[index : index + 4] for index in range(0, len(code), 4))


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


@functools.cache
def ticket_signer(key_file: str) -> TicketSigner:
    """The process's signer for the key in `key_file` (made on first use)."""
    return TicketSigner(load_or_create_key(Path(key_file)))

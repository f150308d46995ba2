"""Backup files sealed with authenticated encryption, written and read as a stream.

A backup holds every person the venue knows, so it is encrypted under a key from the environment, and
any change to it (a flipped bit, a cut-off end, segments swapped or spliced in from another file) makes
reading it fail rather than restore something else. It is written and read in segments of 1 MiB, so a
backup of any size passes through a fixed amount of memory.

The layout follows the STREAM construction (Hoang, Reyhanitabar, Rogaway and Vizár, 2015), as Google
Tink's AES-GCM-HKDF streaming AEAD and age do; cryptography offers no streaming AEAD of its own:

    header  = MAGIC | version (1) | key id (8) | salt (32) | nonce prefix (7) | segment size (4)
    file key = HKDF-SHA256(backup key, salt, info="boxoffice backup v1")
    segment i = AES-256-GCM(file key, nonce = prefix | i (4, big-endian) | last (1), data, aad = header)

Every file has a key of its own (from its random salt), so nonces never repeat under one key; the
counter in the nonce fixes each segment's place, and the flag on the last one shows the end was reached.
The key id (an HMAC of the key, which reveals nothing of it) says which configured key made the file,
so a wrong key is told apart from a damaged file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"BOXOFFICE-BACKUP"
VERSION = 1
KEY_BYTES = 32
SALT_BYTES = 32
PREFIX_BYTES = 7
TAG_BYTES = 16
SEGMENT_BYTES = 1 << 20
HEADER = struct.Struct(f">{len(MAGIC)}sB8s{SALT_BYTES}s{PREFIX_BYTES}sI")
LAST_SEGMENT = 2**32 - 1


class NotABackup(Exception):
    """The file does not start as a backup does."""


class WrongKey(Exception):
    """None of the configured keys made this file."""


class Damaged(Exception):
    """The file was altered or cut short after it was written."""


def new_backup_key() -> str:
    """A fresh random key, as URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def key_id(key: bytes) -> bytes:
    return hmac.new(key, b"boxoffice backup key id", hashlib.sha256).digest()[:8]


def file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=b"boxoffice backup v1")
    return AESGCM(derived.derive(key))


def nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= LAST_SEGMENT:
        raise ValueError("a backup of more than 4 PiB")
    return prefix + struct.pack(">IB", counter, last)


class SealedWriter:
    """Encrypts what is written to it onto `sink`, one segment at a time; `close` seals the end.

    A writer that is never closed leaves a file that every reader refuses as cut short."""

    def __init__(self, sink: BinaryIO, key: bytes) -> None:
        self.sink = sink
        self.prefix = os.urandom(PREFIX_BYTES)
        salt = os.urandom(SALT_BYTES)
        self.header = HEADER.pack(MAGIC, VERSION, key_id(key), salt, self.prefix, SEGMENT_BYTES)
        self.cipher = file_key(key, salt)
        self.pending = bytearray()
        self.counter = 0
        sink.write(self.header)

    def write(self, data: bytes) -> None:
        self.pending += data
        while len(self.pending) > SEGMENT_BYTES:  # keep at least one byte back: the last segment
            self.seal(bytes(self.pending[:SEGMENT_BYTES]), last=False)
            del self.pending[:SEGMENT_BYTES]

    def close(self) -> None:
        self.seal(bytes(self.pending), last=True)
        self.pending.clear()

    def seal(self, segment: bytes, *, last: bool) -> None:
        self.sink.write(self.cipher.encrypt(nonce(self.prefix, self.counter, last), segment, self.header))
        self.counter += 1


def read_header(source: BinaryIO, keys: Sequence[bytes]) -> tuple[bytes, AESGCM, bytes, int]:
    """(header, cipher, nonce prefix, segment size) of a sealed file, with the key that made it."""
    header = source.read(HEADER.size)
    if len(header) < HEADER.size or not header.startswith(MAGIC):
        raise NotABackup()
    _, version, made_by, salt, prefix, segment_bytes = HEADER.unpack(header)
    if version != VERSION or not 0 < segment_bytes <= 64 * SEGMENT_BYTES:
        raise NotABackup()
    for key in keys:
        if hmac.compare_digest(key_id(key), made_by):
            return header, file_key(key, salt), prefix, segment_bytes
    raise WrongKey()


def unsealed(source: BinaryIO, keys: Sequence[bytes]) -> Iterator[bytes]:
    """The plaintext of a sealed file, segment by segment, each one authenticated before it is given out.

    Raises NotABackup, WrongKey, or Damaged (at the segment where the damage is found: a consumer must
    treat what it already took as void)."""
    header, cipher, prefix, segment_bytes = read_header(source, keys)
    sealed_bytes = segment_bytes + TAG_BYTES
    counter = 0
    segment = source.read(sealed_bytes)
    while True:
        following = source.read(sealed_bytes) if len(segment) == sealed_bytes else b""
        last = not following
        try:
            yield cipher.decrypt(nonce(prefix, counter, last), segment, header)
        except InvalidTag:
            raise Damaged() from None
        if last:
            return
        segment, counter = following, counter + 1

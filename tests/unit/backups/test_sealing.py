"""The sealed stream backups are written in: what goes in comes out, and any change to the file (cut,
altered, segments reordered or taken from another file) or the wrong key is refused, never read."""

from __future__ import annotations

import base64
import io
import os

import pytest

from boxoffice.backups.sealing import (
    HEADER,
    SEGMENT_BYTES,
    TAG_BYTES,
    Damaged,
    NotABackup,
    SealedWriter,
    WrongKey,
    new_backup_key,
    unsealed,
)

KEY = base64.urlsafe_b64decode(new_backup_key())
SEALED_SEGMENT = SEGMENT_BYTES + TAG_BYTES


def sealed(plaintext: bytes, key: bytes = KEY, pieces: int = 7) -> bytes:
    sink = io.BytesIO()
    writer = SealedWriter(sink, key)
    step = max(1, len(plaintext) // pieces)
    for start in range(0, len(plaintext), step):
        writer.write(plaintext[start : start + step])
    writer.close()
    return sink.getvalue()


def opened(content: bytes, keys: tuple[bytes, ...] = (KEY,)) -> bytes:
    return b"".join(unsealed(io.BytesIO(content), keys))


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES]
)
def test_what_is_sealed_comes_back_whole(size):
    plaintext = os.urandom(size)
    content = sealed(plaintext)

    assert opened(content) == plaintext
    assert size < 64 or plaintext[:64] not in content
    assert len(content) == HEADER.size + max(1, -(-size // SEGMENT_BYTES)) * TAG_BYTES + size


def test_any_of_the_configured_keys_opens_what_it_sealed_and_no_other_does():
    other = base64.urlsafe_b64decode(new_backup_key())
    content = sealed(b"the box office's data")

    assert opened(content, (other, KEY)) == b"the box office's data"
    with pytest.raises(WrongKey):
        opened(content, (other,))


def test_the_same_data_seals_differently_each_time():
    assert sealed(b"same") != sealed(b"same")


@pytest.mark.parametrize(
    "damage",
    [
        lambda content: content[:-1],  # cut inside the last segment
        lambda content: content[: HEADER.size + 2 * SEALED_SEGMENT],  # cut at a segment's edge
        lambda content: content[: HEADER.size],  # nothing after the header
        lambda content: content[:100] + bytes([content[100] ^ 1]) + content[101:],  # a bit flipped
        lambda content: content[:30] + bytes([content[30] ^ 1]) + content[31:],  # the header's salt
        lambda content: (  # two segments swapped
            content[: HEADER.size]
            + content[HEADER.size + SEALED_SEGMENT : HEADER.size + 2 * SEALED_SEGMENT]
            + content[HEADER.size : HEADER.size + SEALED_SEGMENT]
            + content[HEADER.size + 2 * SEALED_SEGMENT :]
        ),
        lambda content: content + content[HEADER.size : HEADER.size + SEALED_SEGMENT],  # one added
    ],
)
def test_a_changed_file_is_refused(damage):
    content = sealed(os.urandom(3 * SEGMENT_BYTES + 10))

    with pytest.raises(Damaged):
        opened(damage(content))


def test_a_segment_from_another_file_under_the_same_key_is_refused():
    first, second = sealed(os.urandom(2 * SEGMENT_BYTES)), sealed(os.urandom(2 * SEGMENT_BYTES))
    spliced = first[: HEADER.size + SEALED_SEGMENT] + second[HEADER.size + SEALED_SEGMENT :]

    with pytest.raises(Damaged):
        opened(spliced)


@pytest.mark.parametrize("content", [b"", b"SQLite format 3\x00" + bytes(200), b"BOXOFFICE-BACKUP"])
def test_other_files_are_not_taken_for_backups(content):
    with pytest.raises(NotABackup):
        opened(content)

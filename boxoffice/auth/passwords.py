"""Staff passwords: what may be chosen, and how it is hashed and checked.

Hashes are argon2id. Hashing is deliberately slow and memory-hungry, so it runs in a small pool of threads
of its own: a burst of logins queues there instead of blocking the event loop, and never holds more than
`HASHING_THREADS` x 19 MiB at once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # room for long passphrases, while bounding the work one password can cause
EMAIL_LOCAL_PART_MIN_LENGTH = 4  # shorter local parts ("jo", "box") turn up inside ordinary words
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
HASHING_THREADS = 2

# OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
HASHER = PasswordHasher(type=Type.ID, memory_cost=19456, time_cost=2, parallelism=1)
HASHING_POOL = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2")
# The hash of a random password nobody knows, made with HASHER's parameters.
DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$Olx4jxgn87lfWt1fAJkrUA$SiIgImFv4rHdkWm8Pb1JV2H/6g8ZyQE5axLJ8tbygRs"
)

Result = TypeVar("Result")


class PasswordRejected(ValueError):
    """A new password breaks the policy; the message tells the person what to do instead."""


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """Whether a password matched, and a fresh hash to store when the old one used other parameters."""

    valid: bool
    new_hash: str | None = None


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lowercased; read on first use, not at import."""
    return frozenset(COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split())


def check_password_policy(password: str, *, email: str = "", name: str = "") -> None:
    """Raise PasswordRejected when `password` may not be chosen by the person with this e-mail and name."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    folded = password.casefold()
    if folded in common_passwords():
        raise PasswordRejected("This password is too common; choose another.")
    local_part = email.partition("@")[0].casefold()
    if len(local_part) >= EMAIL_LOCAL_PART_MIN_LENGTH and local_part in folded:
        raise PasswordRejected("Do not use your e-mail address in your password.")
    if name.strip() and without_spaces(folded) == without_spaces(name.casefold()):
        raise PasswordRejected("Do not use your name as your password.")


def without_spaces(text: str) -> str:
    return "".join(text.split())


async def hash_password(password: str) -> str:
    return await in_hashing_pool(HASHER.hash, password)


async def verify_password(password_hash: str, password: str) -> PasswordCheck:
    """Check a password against its stored hash; a corrupt hash counts as a wrong password.

    A password longer than MAX_LENGTH cannot have been set, so it is refused without hashing it, after
    the same time a real check takes.
    """
    if len(password) > MAX_LENGTH:
        await spend_verification_time()
        return PasswordCheck(valid=False)
    return await in_hashing_pool(verify_and_offer_rehash, password_hash, password)


async def spend_verification_time() -> None:
    """Take as long as checking a password, for a login whose e-mail matches no account.

    Answering such a login at once would tell whoever times it that the account does not exist.
    """
    await in_hashing_pool(verify_and_offer_rehash, DUMMY_HASH, "")


def verify_and_offer_rehash(password_hash: str, password: str) -> PasswordCheck:
    try:
        HASHER.verify(password_hash, password)
    except (VerificationError, ValueError):  # a wrong password, or a hash that cannot be read
        return PasswordCheck(valid=False)
    if HASHER.check_needs_rehash(password_hash):
        return PasswordCheck(valid=True, new_hash=HASHER.hash(password))
    return PasswordCheck(valid=True)


async def in_hashing_pool(work: Callable[..., Result], *args: str) -> Result:
    return await asyncio.get_running_loop().run_in_executor(HASHING_POOL, work, *args)

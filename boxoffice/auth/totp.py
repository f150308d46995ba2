"""Two-factor codes from an authenticator app (TOTP, RFC 6238), and recovery codes for a lost phone."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp

STEP_SECONDS = 30
CODE_DIGITS = 6
ACCEPTED_STEPS_AROUND_NOW = (-1, 0, 1)  # allows for a phone clock a little off and a slow typist
QR_CODE_TITLE = "QR code for your authenticator app"

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l or i to misread


def new_secret() -> str:
    """A random base32 seed of 32 characters (160 bits), as RFC 4226 recommends."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The `otpauth://` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_code_svg(uri: str) -> str:
    """The URI as an inline `<svg>` for an HTML page.

    It has no XML declaration and no style attribute, so the page's Content-Security-Policy need not
    allow inline styles. Without width and height it scales to whatever the stylesheet gives the
    `qr-code` class; the quiet zone is painted white so the code also scans on a dark page. segno is
    imported here, when a staff member enrols, so that no web worker carries it for this alone.
    """
    import segno

    return segno.make_qr(uri).svg_inline(
        title=QR_CODE_TITLE, svgclass="qr-code", lineclass="qr-code-dark", omitsize=True, light="#fff"
    )


def matching_step(secret: str, code: str, *, last_used_step: int | None, now: datetime) -> int | None:
    """The time step whose code this is, if it is later than the last step used; otherwise None.

    Storing the returned step as the new `last_used_step` makes each code single-use, and also refuses
    an older code still inside the accepted window once a newer one has been used.
    """
    code = "".join(code.split())
    if len(code) != CODE_DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=CODE_DIGITS, interval=STEP_SECONDS)
    current_step = int(now.timestamp() // STEP_SECONDS)
    for step in (current_step + offset for offset in ACCEPTED_STEPS_AROUND_NOW):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Codes shown once to the person, grouped for reading as `xxxxx-xxxxx`."""
    return [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]


def new_recovery_code() -> str:
    characters = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    half = RECOVERY_CODE_LENGTH // 2
    return f"{characters[:half]}-{characters[half:]}"


def normalise_recovery_code(text: str) -> str:
    """A recovery code as typed, reduced to its characters: case, spaces and dashes do not matter."""
    return "".join(text.split()).replace("-", "").lower()


def recovery_code_digest(code: str, key: bytes) -> str:
    """What is stored in place of a recovery code: HMAC-SHA256 of it under a server key, in hex.

    A code carries about 50 bits of randomness, far more than a chosen password, so a keyed fast hash is
    enough: a stolen table is useless without the key, and checking a code against all ten stays instant
    where a slow password hash per code would not.
    """
    return hmac.new(key, normalise_recovery_code(code).encode(), hashlib.sha256).hexdigest()

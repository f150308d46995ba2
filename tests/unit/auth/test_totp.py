import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from boxoffice.auth.totp import (
    RECOVERY_CODE_COUNT,
    matching_step,
    new_recovery_codes,
    new_secret,
    normalise_recovery_code,
    provisioning_uri,
    qr_code_svg,
    recovery_code_digest,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 11, 21, 12, 0, 10, tzinfo=UTC)
CURRENT_STEP = int(NOW.timestamp()) // 30
STEP = timedelta(seconds=30)
KEY = b"recovery-code-key-for-tests-only"


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_a_current_code_is_accepted_and_names_its_step():
    assert matching_step(SECRET, code_at(NOW), last_used_step=None, now=NOW) == CURRENT_STEP


def test_spaces_inside_a_code_are_ignored():
    code = code_at(NOW)
    assert matching_step(SECRET, f" {code[:3]} {code[3:]} ", last_used_step=None, now=NOW) == CURRENT_STEP


def test_a_code_is_accepted_only_once():
    assert matching_step(SECRET, code_at(NOW), last_used_step=CURRENT_STEP, now=NOW) is None


def test_the_previous_code_is_accepted_until_a_newer_one_is_used():
    previous = code_at(NOW - STEP)
    assert matching_step(SECRET, previous, last_used_step=CURRENT_STEP - 5, now=NOW) == CURRENT_STEP - 1
    assert matching_step(SECRET, previous, last_used_step=CURRENT_STEP, now=NOW) is None


def test_the_next_code_is_accepted_for_a_phone_clock_running_fast():
    assert matching_step(SECRET, code_at(NOW + STEP), last_used_step=None, now=NOW) == CURRENT_STEP + 1


def test_codes_further_from_now_are_refused():
    assert matching_step(SECRET, code_at(NOW - 2 * STEP), last_used_step=None, now=NOW) is None
    assert matching_step(SECRET, code_at(NOW + 2 * STEP), last_used_step=None, now=NOW) is None


def test_a_code_for_another_secret_is_refused():
    other = pyotp.TOTP(new_secret()).at(NOW)
    assert other != code_at(NOW)
    assert matching_step(SECRET, other, last_used_step=None, now=NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_anything_but_six_digits_is_refused(code):
    assert matching_step(SECRET, code, last_used_step=None, now=NOW) is None


def test_five_digits_of_the_right_code_are_refused():
    assert matching_step(SECRET, code_at(NOW)[:5], last_used_step=None, now=NOW) is None


def test_a_new_secret_is_32_base32_characters_and_different_each_time():
    secret = new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert secret != new_secret()


def test_the_provisioning_uri_carries_the_secret_account_and_issuer():
    uri = provisioning_uri(SECRET, "jane@riverside.example", "Riverside Arts")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parse_qs(parts.query)["secret"] == [SECRET]
    assert parse_qs(parts.query)["issuer"] == ["Riverside Arts"]
    assert "jane%40riverside.example" in parts.path


def test_the_qr_code_is_an_inline_svg_fragment_without_styles():
    svg = qr_code_svg(provisioning_uri(SECRET, "jane@riverside.example", "Riverside Arts"))
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg
    assert "style" not in svg
    assert "<title>QR code for your authenticator app</title>" in svg
    assert "viewBox=" in svg


def test_ten_distinct_recovery_codes_in_two_groups_of_five_unambiguous_characters():
    codes = new_recovery_codes()
    assert len(codes) == RECOVERY_CODE_COUNT == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code)
        assert not set(code) & set("0o1li")


def test_recovery_codes_are_read_regardless_of_case_spaces_and_dashes():
    assert normalise_recovery_code(" ABCDE-fghjk ") == "abcdefghjk"
    assert recovery_code_digest("ABCDE-FGHJK", KEY) == recovery_code_digest("abcde fghjk", KEY)


def test_the_digest_depends_on_the_code_and_the_key():
    digest = recovery_code_digest("abcde-fghjk", KEY)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert recovery_code_digest("abcde-fghjm", KEY) != digest
    assert recovery_code_digest("abcde-fghjk", b"another-key") != digest

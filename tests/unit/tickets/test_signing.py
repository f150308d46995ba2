import stat

import pytest

from boxoffice.tickets.signing import TicketSigner, load_or_create_key, readable_code, ticket_signer

CODE = "ABCDEFGHJKLMNPQR"


@pytest.fixture
def signer(tmp_path) -> TicketSigner:
    return ticket_signer(str(tmp_path / "ticket.key"))


def test_a_signed_payload_gives_back_its_code(signer):
    assert signer.code_from_scan(signer.qr_payload(CODE)) == CODE


def test_a_forged_or_altered_signature_is_refused(signer, tmp_path):
    payload = signer.qr_payload(CODE)
    other_venue = ticket_signer(str(tmp_path / "other.key"))
    assert signer.code_from_scan(other_venue.qr_payload(CODE)) is None
    assert signer.code_from_scan(payload.replace(CODE, "ABCDEFGHJKLMNPQS")) is None
    assert signer.code_from_scan(payload[:-3] + "AAA") is None
    assert signer.code_from_scan("BX1." + CODE + ".!!!") is None


@pytest.mark.parametrize("typed", ["abcd-efgh-jklm-npqr", "ABCD EFGH JKLM NPQR", " abcdefghjklmnpqr "])
def test_a_typed_code_is_read_in_any_case_with_dashes_or_spaces(signer, typed):
    assert signer.code_from_scan(typed) == CODE


@pytest.mark.parametrize(
    "scanned",
    ["", "x" * 10_000, "' OR 1=1 --", "<script>alert(1)</script>", "ABCDEFGHJKLMNPQ0", "BX1.short.sig"],
)
def test_anything_else_is_not_a_ticket(signer, scanned):
    assert signer.code_from_scan(scanned) is None


def test_the_key_is_made_once_and_readable_only_by_its_owner(tmp_path):
    path = tmp_path / "keys" / "ticket.key"
    first = load_or_create_key(path)
    second = load_or_create_key(path)
    assert first.public_key().public_bytes_raw() == second.public_key().public_bytes_raw()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_codes_print_in_groups_of_four():
    assert readable_code(CODE) == "ABCD-EFGH-JKLM-NPQR"

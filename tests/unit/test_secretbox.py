import pytest
from cryptography.fernet import Fernet

from boxoffice.config import SettingsError
from boxoffice.secretbox import SecretBox, SecretUnreadable, new_key, parse_keys

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def key() -> bytes:
    return new_key().encode()


def test_a_secret_comes_back_as_it_went_in_but_is_not_stored_as_such():
    box = SecretBox([key()])
    token = box.encrypt(SEED)
    assert SEED not in token
    assert box.decrypt(token) == SEED


def test_a_secret_made_under_an_old_key_still_opens_once_a_new_key_leads():
    old, new = key(), key()
    token = SecretBox([old]).encrypt(SEED)
    assert SecretBox([new, old]).decrypt(token) == SEED


def test_rotating_moves_a_secret_onto_the_new_key():
    old, new = key(), key()
    token = SecretBox([old]).encrypt(SEED)
    rotated = SecretBox([new, old]).rotate(token)
    assert SecretBox([new]).decrypt(rotated) == SEED
    with pytest.raises(SecretUnreadable):
        SecretBox([old]).decrypt(rotated)


def test_new_secrets_are_encrypted_under_the_first_key():
    old, new = key(), key()
    token = SecretBox([new, old]).encrypt(SEED)
    assert SecretBox([new]).decrypt(token) == SEED


@pytest.mark.parametrize("token", ["", "garbage", "gAAAAABnot-a-real-token", "é"])
def test_garbage_is_unreadable(token):
    box = SecretBox([key()])
    with pytest.raises(SecretUnreadable):
        box.decrypt(token)
    with pytest.raises(SecretUnreadable):
        box.rotate(token)


def test_a_secret_under_a_key_no_longer_configured_is_unreadable():
    token = SecretBox([key()]).encrypt(SEED)
    with pytest.raises(SecretUnreadable):
        SecretBox([key()]).decrypt(token)


def test_keys_are_read_comma_separated_in_order():
    first, second = new_key(), new_key()
    assert parse_keys(f" {first} , {second},") == [first.encode(), second.encode()]


@pytest.mark.parametrize("raw", ["", " ", ", ,"])
def test_at_least_one_key_is_needed(raw):
    with pytest.raises(ValueError, match="no key given"):
        parse_keys(raw)


@pytest.mark.parametrize("bad", ["not-a-key", "c2hvcnQ=", "é" * 44])
def test_a_bad_key_is_named_by_position_and_never_shown(bad):
    with pytest.raises(ValueError) as raised:
        parse_keys(f"{new_key()},{bad}")
    assert str(raised.value).startswith("key 2 of 2 is not a Fernet key")
    assert bad not in str(raised.value)


def test_the_message_reads_well_after_the_variable_name():
    with pytest.raises(ValueError) as raised:
        parse_keys("nonsense")
    message = str(SettingsError("BOXOFFICE_ENCRYPTION_KEYS", str(raised.value)))
    assert message == (
        "BOXOFFICE_ENCRYPTION_KEYS: key 1 of 1 is not a Fernet key (44 characters of URL-safe base64)"
    )


def test_a_new_key_is_a_working_fernet_key_and_different_each_time():
    fresh = new_key()
    assert Fernet(fresh).decrypt(Fernet(fresh).encrypt(b"x")) == b"x"
    assert fresh != new_key()

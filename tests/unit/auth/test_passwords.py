import time

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from boxoffice.auth import passwords
from boxoffice.auth.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordCheck,
    PasswordRejected,
    check_password_policy,
    common_passwords,
    hash_password,
    spend_verification_time,
    verify_password,
)

PASSPHRASE = "correct horse battery staple on the riverside stage"


def rejection(password: str, **person: str) -> str:
    with pytest.raises(PasswordRejected) as raised:
        check_password_policy(password, **person)
    return str(raised.value)


def accepted(password: str, **person: str) -> bool:
    try:
        check_password_policy(password, **person)
    except PasswordRejected:
        return False
    return True


def test_twelve_characters_is_the_minimum():
    assert MIN_LENGTH == 12
    assert rejection("Tq8#vLw2!zR") == "Use at least 12 characters."
    assert accepted("Tq8#vLw2!zRp")


def test_a_long_passphrase_is_accepted_but_not_an_endless_one():
    assert accepted(("river stage " * 20)[:200])
    assert rejection("x7" * 150) == f"Use at most {MAX_LENGTH} characters."


@pytest.mark.parametrize("password", ["password1234", "PASSWORD1234", "qwerty123456", "LeaveMeAlone"])
def test_common_passwords_are_refused_whatever_their_case(password):
    assert rejection(password) == "This password is too common; choose another."


def test_the_common_list_holds_the_ten_thousand_most_common_passwords_lowercased():
    listed = common_passwords()
    assert len(listed) >= 10_000
    assert {"123456", "password", "iloveyou"} <= listed
    assert all(entry == entry.lower() for entry in listed)


def test_the_e_mail_local_part_may_not_be_used():
    message = rejection("xx-JaneDoe-2026", email="janedoe@riverside.example")
    assert message == "Do not use your e-mail address in your password."


def test_a_short_local_part_is_not_held_against_a_password():
    assert accepted("bobcat-moonlight-42", email="bob@riverside.example")


def test_the_name_may_not_be_the_password():
    message = rejection("Margaret Thompson", name="margaret thompson")
    assert message == "Do not use your name as your password."
    assert accepted("Margaret Thompson's 3 cats", name="Margaret Thompson")


async def test_hashes_are_argon2id_with_owasp_minimum_parameters():
    parameters = extract_parameters(await hash_password(PASSPHRASE))
    assert parameters.type is Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)


async def test_the_right_password_verifies_and_a_wrong_one_does_not():
    stored = await hash_password(PASSPHRASE)
    assert await verify_password(stored, PASSPHRASE) == PasswordCheck(valid=True, new_hash=None)
    assert await verify_password(stored, PASSPHRASE.upper()) == PasswordCheck(valid=False, new_hash=None)


async def test_a_hash_made_with_older_parameters_is_replaced_on_a_good_login():
    older = PasswordHasher(type=Type.ID, memory_cost=19456, time_cost=1, parallelism=1).hash(PASSPHRASE)
    check = await verify_password(older, PASSPHRASE)
    assert check.valid
    assert check.new_hash is not None
    assert extract_parameters(check.new_hash).time_cost == 2
    assert await verify_password(check.new_hash, PASSPHRASE) == PasswordCheck(valid=True, new_hash=None)


async def test_no_new_hash_is_offered_for_a_wrong_password():
    older = PasswordHasher(type=Type.ID, memory_cost=19456, time_cost=1, parallelism=1).hash(PASSPHRASE)
    assert await verify_password(older, "not the passphrase") == PasswordCheck(valid=False, new_hash=None)


@pytest.mark.parametrize(
    "stored",
    ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=19456,t=2,p=1$é$x"],
)
async def test_a_corrupt_hash_counts_as_a_wrong_password(stored):
    assert await verify_password(stored, PASSPHRASE) == PasswordCheck(valid=False, new_hash=None)


async def test_an_over_long_password_is_refused_without_hashing_it(monkeypatch):
    stored = await hash_password(PASSPHRASE)
    verified = []

    def record(password_hash: str, password: str) -> PasswordCheck:
        verified.append((password_hash, password))
        return PasswordCheck(valid=False)

    monkeypatch.setattr(passwords, "verify_and_offer_rehash", record)
    assert await verify_password(stored, "x" * (MAX_LENGTH + 1)) == PasswordCheck(valid=False)
    assert verified == [(passwords.DUMMY_HASH, "")]


def test_the_dummy_hash_uses_the_current_parameters_so_it_costs_the_same():
    assert not passwords.HASHER.check_needs_rehash(passwords.DUMMY_HASH)


async def test_spending_verification_time_takes_as_long_as_a_real_check():
    stored = await hash_password(PASSPHRASE)
    started = time.perf_counter()
    await verify_password(stored, "not the passphrase")
    real_check = time.perf_counter() - started
    started = time.perf_counter()
    await spend_verification_time()
    spent = time.perf_counter() - started
    assert spent > real_check / 3

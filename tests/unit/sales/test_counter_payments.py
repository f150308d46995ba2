import pytest

from boxoffice.sales.counter_payments import (
    CounterPayment,
    PaymentRefused,
    amount_text,
    check_payment,
    parse_amount,
)
from boxoffice.sales.tables import PaymentMethod


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("20", "GBP", 2000),
        ("20.5", "GBP", 2050),
        ("£20.50", "GBP", 2050),
        ("0,99", "EUR", 99),
        (".5", "GBP", 50),
        ("1500", "JPY", 1500),
        ("0", "GBP", 0),
    ],
)
def test_amounts_are_read_in_minor_units_of_their_currency(typed, currency, minor):
    assert parse_amount(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("-1", "GBP", "zero or more"),
        ("ten", "GBP", "such as 20.00"),
        ("1.005", "GBP", "at most 2 decimals"),
        ("1.5", "JPY", "such as 20, with at most 0 decimals"),
        ("1e3", "GBP", "such as"),
        ("", "GBP", "such as"),
        ("99999999999", "GBP", "too large"),
    ],
)
def test_unreadable_amounts_are_refused_with_a_message_for_the_field(typed, currency, message):
    with pytest.raises(PaymentRefused) as refusal:
        parse_amount(typed, currency, field="tendered")
    assert message in refusal.value.problems["tendered"]


def test_change_is_what_was_tendered_beyond_the_amount():
    cash = CounterPayment.from_form({"method": "cash", "tendered": "50"})
    assert check_payment(cash, 4420, "GBP", may_comp=False).change_due == 580
    exact = CounterPayment.from_form({"method": "cash"})
    assert check_payment(exact, 4420, "GBP", may_comp=False).change_due == 0


def test_an_unknown_payment_method_is_refused():
    with pytest.raises(PaymentRefused, match="Choose cash, card terminal or complimentary"):
        CounterPayment.from_form({"method": PaymentMethod.STRIPE.value})


@pytest.mark.parametrize(
    ("minor", "currency", "text"), [(2400, "GBP", "24.00"), (5, "EUR", "0.05"), (1500, "JPY", "1500")]
)
def test_amounts_are_written_as_operators_type_them_and_read_back(minor, currency, text):
    assert amount_text(minor, currency) == text
    assert parse_amount(text, currency) == minor

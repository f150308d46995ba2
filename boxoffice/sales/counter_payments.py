"""Money taken in person: cash (with what was tendered and the change due), a card on the venue's own
terminal (with its receipt reference), or tickets given away (complimentary, with a reason).

Amounts typed by operators arrive as text and are read here, in the currency's minor units, so every
screen that takes money (a sale, a reservation paid at the counter, an exchange, a refund) reads and
checks them the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision

from boxoffice.errors import Refused
from boxoffice.sales.tables import Payment, PaymentMethod

COUNTER_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD_TERMINAL, PaymentMethod.COMPLIMENTARY)
MAX_REFERENCE_LENGTH = 100
MAX_REASON_LENGTH = 200
LARGEST_AMOUNT = 10_000_000_00  # ten million in major units: anything above is a typing slip
AMOUNT_TEXT = re.compile(r"\d{1,12}(?:[.,]\d*)?|[.,]\d+")


class PaymentRefused(Refused):
    """Nothing was taken. `problems` maps each form field at fault to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def parse_amount(text: str, currency: str, *, field: str = "amount") -> int:
    """Minor units from an amount as typed ("20", "20.5", "£20.50"); PaymentRefused when it is not a
    positive-or-zero amount with at most the currency's decimals."""
    cleaned = text.strip().lstrip("£$€").strip()
    precision = get_currency_precision(currency)
    example = f"20.{'0' * precision}" if precision else "20"
    if cleaned.startswith("-"):
        raise PaymentRefused({field: "Enter an amount of zero or more."})
    if not AMOUNT_TEXT.fullmatch(cleaned):
        raise PaymentRefused({field: f"Enter an amount such as {example}."})
    value = Decimal(cleaned.replace(",", "."))
    minor = value.scaleb(precision)
    if minor != minor.to_integral_value():
        raise PaymentRefused(
            {field: f"Enter an amount such as {example}, with at most {precision} decimals."}
        )
    if minor > LARGEST_AMOUNT:
        raise PaymentRefused({field: "That amount is too large."})
    return int(minor)


def amount_text(minor: int, currency: str) -> str:
    """An amount as an operator would type it ("12.50"), to fill in a form; `parse_amount` reads it back."""
    return f"{Decimal(minor).scaleb(-get_currency_precision(currency)):f}"


@dataclass(frozen=True, slots=True)
class CounterPayment:
    """How the customer pays at the counter, as read from the payment form."""

    method: PaymentMethod
    tendered_text: str = ""  # cash handed over, as typed; empty means the exact amount
    terminal_reference: str = ""
    reason: str = ""  # for complimentary tickets

    @classmethod
    def from_form(cls, form: dict[str, str]) -> CounterPayment:
        """The payment fields of a form (method, tendered, terminal_reference, reason), as typed; an
        unknown method is refused."""
        method = form.get("method", "")
        if method not in {choice.value for choice in COUNTER_METHODS}:
            raise PaymentRefused({"method": "Choose cash, card terminal or complimentary."})
        return cls(
            PaymentMethod(method),
            form.get("tendered", "").strip()[:30],
            " ".join(form.get("terminal_reference", "").split())[:MAX_REFERENCE_LENGTH],
            " ".join(form.get("reason", "").split())[:MAX_REASON_LENGTH],
        )


@dataclass(frozen=True, slots=True)
class CheckedPayment:
    """A counter payment that covers `amount`: what to record."""

    method: PaymentMethod
    amount: int
    tendered: int | None
    provider_reference: str
    reason: str

    @property
    def change_due(self) -> int:
        return (self.tendered or self.amount) - self.amount


def check_payment(payment: CounterPayment, amount: int, currency: str, *, may_comp: bool) -> CheckedPayment:
    """The payment, if it covers `amount`; PaymentRefused (with a message per field) if not.

    Cash below the amount, a card payment without the terminal's reference, and complimentary tickets
    without a reason or without the permission to give them are all refused. Complimentary tickets take
    no money: their payment is of 0, so it counts as nothing in takings, spend or refunds."""
    tendered = None
    if payment.method is PaymentMethod.CASH:
        if payment.tendered_text:
            tendered = parse_amount(payment.tendered_text, currency, field="tendered")
            if tendered < amount:
                raise PaymentRefused({"tendered": "The cash tendered is less than the amount due."})
    elif payment.method is PaymentMethod.CARD_TERMINAL:
        if not payment.terminal_reference:
            raise PaymentRefused(
                {"terminal_reference": "Enter the reference on the card terminal's receipt."}
            )
    elif payment.method is PaymentMethod.COMPLIMENTARY:
        if not may_comp:
            raise PaymentRefused({"method": "You may not give complimentary tickets."})
        if not payment.reason:
            raise PaymentRefused({"reason": "Say why these tickets are complimentary."})
    return CheckedPayment(
        method=payment.method,
        amount=0 if payment.method is PaymentMethod.COMPLIMENTARY else amount,
        tendered=tendered,
        provider_reference=payment.terminal_reference
        if payment.method is PaymentMethod.CARD_TERMINAL
        else "",
        reason=payment.reason if payment.method is PaymentMethod.COMPLIMENTARY else "",
    )


async def record_counter_payment(
    order_id: int, payment: CheckedPayment, currency: str, *, staff_id: int, now: datetime
) -> int:
    """Add the payment to the order inside the caller's transaction; returns its id."""
    [row] = await Payment.insert(
        Payment(
            order=order_id,
            method=payment.method,
            amount=payment.amount,
            currency=currency,
            provider_reference=payment.provider_reference,
            staff=staff_id,
            tendered=payment.tendered,
            reason=payment.reason,
            created_at=now,
        )
    ).returning(Payment.id)
    return row["id"]

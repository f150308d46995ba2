"""Money as integer minor units with its currency; formatted for people only at the edge."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Money:
    currency: str
    amount: int  # minor units: pence, cents

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

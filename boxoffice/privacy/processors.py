"""Who else handles the venue's customers' data on its behalf (its processors, GDPR 28 and 30(1)(d)),
as this box office is set up. Records of processing and the public privacy policy both read this one
list, so the policy can never name other processors than the records do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Processor:
    name: str
    does: str  # what it does for the venue
    sees: str  # whose data, and which


def processors(*, card_payments: bool, smtp_host: str) -> list[Processor]:
    """The processors in use: Stripe when card payments are on, the SMTP provider when one is set."""
    found = []
    if card_payments:
        found.append(
            Processor(
                "Stripe",
                "Takes card payments on its own checkout page (we never see card details)",
                "Buyers paying online: their e-mail address, the amount and the payment card",
            )
        )
    if smtp_host:
        found.append(
            Processor(
                f"The e-mail provider at {smtp_host}",
                "Delivers our e-mail: order confirmations, sign-in links and, with consent, marketing",
                "Recipients of e-mail: their address and the messages sent to them",
            )
        )
    return found

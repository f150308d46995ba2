"""The details a buyer typed at checkout, kept when their hold lapses, so choosing tickets again does not
mean typing everything again.

They are kept on the server, by the digest of the basket cookie (`holds.basket_key`), never in the browser's
storage: a shared computer keeps nothing after the cookie goes. A draft lives at most a day (the cookie's
own life): placing the order deletes it, and the worker deletes the ones left over (`forget_old_drafts`).
The marketing answer is kept as typed, but only counts as consent when an order is placed with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from boxoffice.crm.contacts import ContactDetails
from boxoffice.db import write_transaction
from boxoffice.sales.holds import basket_key
from boxoffice.sales.tables import CheckoutDraft

DRAFT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class KeptDetails:
    details: ContactDetails
    marketing: bool


async def keep_details(basket_token: str, kept: KeptDetails, now: datetime) -> None:
    """Keep what the buyer typed, in place of anything kept before for the same basket."""
    basket = basket_key(basket_token)
    async with write_transaction():
        await CheckoutDraft.delete().where(CheckoutDraft.basket == basket)
        await CheckoutDraft.insert(
            CheckoutDraft(basket=basket, **asdict(kept.details), marketing=kept.marketing, saved_at=now)
        )


async def kept_details(basket_token: str, now: datetime) -> KeptDetails | None:
    row = (
        await CheckoutDraft.select()
        .where(
            (CheckoutDraft.basket == basket_key(basket_token))
            & (CheckoutDraft.saved_at > now - DRAFT_LIFETIME)
        )
        .first()
    )
    if row is None:
        return None
    details = ContactDetails(row["first_name"], row["last_name"], row["email"], row["phone"], row["postcode"])
    return KeptDetails(details, row["marketing"])


async def forget_details(basket_token: str) -> None:
    await CheckoutDraft.delete().where(CheckoutDraft.basket == basket_key(basket_token))


async def forget_old_drafts(now: datetime) -> int:
    """Delete the drafts older than a day; returns how many."""
    gone = (
        await CheckoutDraft.delete()
        .where(CheckoutDraft.saved_at <= now - DRAFT_LIFETIME)
        .returning(CheckoutDraft.id)
    )
    return len(gone)

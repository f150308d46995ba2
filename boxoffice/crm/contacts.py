"""Contacts as sales create them: one per e-mail address, kept up to date with what buyers give us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.crm.tables import Contact


@dataclass(frozen=True, slots=True)
class ContactDetails:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    postcode: str = ""


async def upsert_contact(details: ContactDetails, now: datetime) -> int:
    """The contact with this e-mail address, created or updated with the details given.

    A removed contact is never revived: someone who buys again after erasure becomes a new contact.
    Runs inside the caller's transaction (the sale that brought the details)."""
    email = details.email.strip().lower()
    existing = (
        await Contact.select(Contact.id).where((Contact.email == email) & Contact.erased_at.is_null()).first()
    )
    values = {
        Contact.first_name: details.first_name,
        Contact.last_name: details.last_name,
        Contact.updated_at: now,
    }
    if details.phone:
        values[Contact.phone] = details.phone
    if details.postcode:
        values[Contact.postcode] = details.postcode
    if existing:
        await Contact.update(values).where(Contact.id == existing["id"])
        return existing["id"]
    [created] = await Contact.insert(
        Contact(
            first_name=details.first_name,
            last_name=details.last_name,
            email=email,
            phone=details.phone,
            postcode=details.postcode,
            created_at=now,
            updated_at=now,
        )
    ).returning(Contact.id)
    return created["id"]

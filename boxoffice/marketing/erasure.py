"""The marketing side of removing a contact (`privacy.erasure`): the free text of their consent records.
The records themselves (channel, granted or withdrawn, when, the question version) stay as evidence."""

from __future__ import annotations

from boxoffice.auth.tables import AuditEntry
from boxoffice.db import one_of
from boxoffice.documents.redaction import redact
from boxoffice.marketing.tables import ConsentRecord


async def erase_consent_text(contact_id: int, identifiers: list[str]) -> int:
    """Blank the notes and addresses of the contact's consent records; a wording that came from a
    question version is the venue's text and stays, any other loses the contact's details."""
    rows = await ConsentRecord.select(ConsentRecord.id, ConsentRecord.wording, ConsentRecord.question).where(
        ConsentRecord.contact == contact_id
    )
    for row in rows:
        values = {ConsentRecord.note: "", ConsentRecord.ip: ""}
        if row["question"] is None:
            values[ConsentRecord.wording] = redact(row["wording"], identifiers)
        await ConsentRecord.update(values).where(ConsentRecord.id == row["id"])
    if rows:  # the person's own changes (unsubscribing, say) were audited with their address
        await AuditEntry.update({AuditEntry.ip: ""}).where(
            (AuditEntry.object_type == "consent_record")
            & one_of(AuditEntry.object_id, [str(row["id"]) for row in rows])
            & AuditEntry.actor.is_null()
        )
    return len(rows)

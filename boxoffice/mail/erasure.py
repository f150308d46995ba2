"""The mail side of removing a contact (`privacy.erasure`): every e-mail to their addresses is blanked and
loses its attachments, and any not yet sent is cancelled. The e-mail log still lists that something
was sent."""

from __future__ import annotations

from boxoffice.db import one_of
from boxoffice.documents.redaction import ERASED_VALUE
from boxoffice.mail.tables import OutboxAttachment, OutboxMessage, OutboxStatus

CANCELLED_ERROR = "cancelled: the recipient was removed"


async def erase_emails(emails: list[str]) -> int:
    """Blank every e-mail to these addresses and drop its attachments; any not yet sent is cancelled."""
    if not emails:
        return 0
    rows = await OutboxMessage.raw(
        "SELECT id, status FROM outbox_message WHERE LOWER(recipient) IN ("
        + ", ".join("{}" for _ in emails)
        + ")",
        *emails,
    )
    message_ids = [row["id"] for row in rows]
    if not message_ids:
        return 0
    await OutboxAttachment.delete().where(one_of(OutboxAttachment.message, message_ids))
    await OutboxMessage.update(
        {
            OutboxMessage.recipient: "",
            OutboxMessage.subject: ERASED_VALUE,  # the e-mail log still lists that something was sent
            OutboxMessage.text_body: ERASED_VALUE,
            OutboxMessage.html_body: None,
            OutboxMessage.headers: "{}",
            OutboxMessage.last_error: "",
        }
    ).where(one_of(OutboxMessage.id, message_ids))
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxStatus.FAILED,
            OutboxMessage.claimed_at: None,
            OutboxMessage.claimed_by: None,
            OutboxMessage.last_error: CANCELLED_ERROR,
        }
    ).where(
        one_of(OutboxMessage.id, message_ids)
        & OutboxMessage.status.is_in([OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING])
    )
    return len(message_ids)

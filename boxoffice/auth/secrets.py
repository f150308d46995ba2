"""Secrets kept encrypted at rest, and their re-encryption when the key changes."""

from boxoffice.auth.tables import StaffUser
from boxoffice.db import write_transaction
from boxoffice.secretbox import SecretBox


async def reencrypt_secrets(box: SecretBox) -> int:
    """Re-encrypt every stored secret under the box's current key; returns how many there were."""
    async with write_transaction():
        rows = await StaffUser.select(StaffUser.id, StaffUser.totp_secret).where(
            StaffUser.totp_secret.is_not_null()
        )
        for row in rows:
            await StaffUser.update({StaffUser.totp_secret: box.rotate(row["totp_secret"])}).where(
                StaffUser.id == row["id"]
            )
    return len(rows)

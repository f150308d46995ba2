"""How a campaign fared, for its report page and the campaign list: its recipients, what became of each
one's message in the outbox, and who unsubscribed through its link. It only reads what drafting and
sending left behind, counting in the database, which is why it stands apart from both.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from boxoffice.db import one_of
from boxoffice.mail.tables import OutboxStatus
from boxoffice.marketing.tables import CampaignRecipient, Channel, RecipientStatus


@dataclass(frozen=True, slots=True)
class RecipientRow:
    contact_id: int
    name: str
    status: str  # pending, skipped, queued, sent, failed, uncertain, or deleted from the e-mail log
    unsubscribed: bool  # through this campaign's link
    opted_in_now: bool  # the contact's e-mail consent as it stands now


@dataclass(frozen=True, slots=True)
class CampaignReport:
    recipients: int
    pending: int
    skipped: int
    queued: int  # in the outbox, not sent yet
    sent: int
    failed: int
    uncertain: int  # its worker died while handing it to SMTP: it may have gone, and is not sent again
    deleted: int  # sent or failed, then deleted from the e-mail log by the retention period
    unsubscribed: int
    rows: list[RecipientRow]


def shown_status(recipient_status: str, message_status: str | None) -> str:
    """A recipient's status as the report shows it: a queued one's is its message's in the outbox."""
    if recipient_status != RecipientStatus.QUEUED:
        return recipient_status
    return {
        OutboxStatus.SENT: "sent",
        OutboxStatus.FAILED: "failed",
        OutboxStatus.UNCERTAIN: "uncertain",
        None: "deleted",
    }.get(message_status, "queued")


async def campaign_report(campaign_id: int, *, limit: int = 500) -> CampaignReport:
    """Recipients, how their messages fared in the outbox, and who unsubscribed through this campaign,
    counted in the database; the first `limit` recipients are listed. Names come from the contacts (a
    removed contact shows as removed), never from the campaign's rows."""
    tallies = await CampaignRecipient.raw(
        "SELECT campaign_recipient.status, outbox_message.status AS message_status, COUNT(*) AS recipients,"
        " COUNT(campaign_recipient.unsubscribed_at) AS unsubscribed"
        " FROM campaign_recipient LEFT JOIN outbox_message ON outbox_message.id = campaign_recipient.message"
        " WHERE campaign_recipient.campaign = {} GROUP BY campaign_recipient.status, outbox_message.status",
        campaign_id,
    )
    counts = dict.fromkeys(("pending", "skipped", "queued", "sent", "failed", "uncertain", "deleted"), 0)
    for tally in tallies:
        counts[shown_status(tally["status"], tally["message_status"])] += tally["recipients"]
    rows = await CampaignRecipient.raw(
        "SELECT campaign_recipient.contact, campaign_recipient.status, campaign_recipient.unsubscribed_at,"
        " outbox_message.status AS message_status, contact.first_name, contact.last_name, contact.erased_at,"
        " (SELECT consent_record.granted FROM consent_record WHERE consent_record.contact = contact.id"
        " AND consent_record.channel = {} ORDER BY consent_record.recorded_at DESC, consent_record.id DESC"
        " LIMIT 1) AS opted_in_now"
        " FROM campaign_recipient JOIN contact ON contact.id = campaign_recipient.contact"
        " LEFT JOIN outbox_message ON outbox_message.id = campaign_recipient.message"
        " WHERE campaign_recipient.campaign = {} ORDER BY campaign_recipient.id LIMIT {}",
        Channel.EMAIL.value,
        campaign_id,
        limit,
    )
    listed = [
        RecipientRow(
            contact_id=row["contact"],
            name="(removed contact)"
            if row["erased_at"] is not None
            else " ".join(part for part in (row["first_name"], row["last_name"]) if part) or "(no name)",
            status=shown_status(row["status"], row["message_status"]),
            unsubscribed=row["unsubscribed_at"] is not None,
            opted_in_now=bool(row["opted_in_now"]),
        )
        for row in rows
    ]
    return CampaignReport(
        recipients=sum(tally["recipients"] for tally in tallies),
        unsubscribed=sum(tally["unsubscribed"] for tally in tallies),
        rows=listed,
        **counts,
    )


async def sent_counts(campaign_ids: list[int]) -> dict[int, int]:
    """How many recipients each of these campaigns has (those with none left out), for a page of the
    campaign list: counted for that page alone, through the index on the campaign column."""
    rows = (
        await CampaignRecipient.select(CampaignRecipient.campaign, Count(alias="recipients"))
        .where(one_of(CampaignRecipient.campaign, campaign_ids))
        .group_by(CampaignRecipient.campaign)
    )
    return {row["campaign"]: row["recipients"] for row in rows}

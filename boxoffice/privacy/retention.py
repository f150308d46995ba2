"""How long personal data is kept [GDPR 5(1)(e)]: the venue's retention periods, shown in its records of
processing, and the part the worker applies by itself.

The periods are simple site settings (`retention.*`), with defaults a venue can keep or change under
Marketing > Records of processing. The worker applies four of them by itself (`apply_retention`): it
deletes e-mail log and audit log entries older than their periods, blanks the buyer's details on orders
that lapsed unpaid, and removes (through the CRM's removal, as staff would) contacts who never bought
and have not been touched for longer than theirs. Paid orders stay as long as the accounts need them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from boxoffice.auth import audit
from boxoffice.auth.tables import AuditEntry
from boxoffice.crm.tables import Contact
from boxoffice.db import write_transaction
from boxoffice.mail.tables import OutboxMessage, OutboxStatus
from boxoffice.privacy.erasure import AlreadyRemoved, erase_contact
from boxoffice.privacy.requests import run_privacy_duties
from boxoffice.sales.tables import Order, OrderStatus
from boxoffice.venue.settings import NumberRule, SettingsRefused, store_site_setting
from boxoffice.venue.tables import SiteSetting

log = logging.getLogger(__name__)

REMOVALS_PER_ROUND = 200  # each removal is a transaction of its own; the next round takes the rest
DAYS_PER_MONTH = 31  # periods in months are counted generously: never shorter than the venue set

# Contacts past their period: never a live order (only lapsed or cancelled ones), and no change to their
# details, no consent given or withdrawn and no note added since the cut-off.
DORMANT_CONTACTS_SQL = """
SELECT id FROM contact c
WHERE c.erased_at IS NULL AND c.updated_at < {}
AND NOT EXISTS (SELECT 1 FROM "order" o WHERE o.contact = c.id AND o.status NOT IN ({}, {}))
AND NOT EXISTS (SELECT 1 FROM consent_record r WHERE r.contact = c.id AND r.recorded_at >= {})
AND NOT EXISTS (SELECT 1 FROM contact_note n WHERE n.contact = c.id AND n.created_at >= {})
ORDER BY c.id LIMIT {}
"""

KEY_PREFIX = "retention."
RETENTION_RULES = {
    "contacts_without_orders_months": NumberRule(1, 120, 24, "Enter a number of months from 1 to 120."),
    "lapsed_orders_days": NumberRule(7, 730, 90, "Enter a number of days from 7 to 730."),
    "paid_orders_years": NumberRule(1, 20, 6, "Enter a number of years from 1 to 20."),
    "email_log_days": NumberRule(7, 3650, 365, "Enter a number of days from 7 to 3,650."),
    "audit_log_months": NumberRule(6, 120, 24, "Enter a number of months from 6 to 120."),
}


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    contacts_without_orders_months: int  # contacts who never bought, counted from their last change
    lapsed_orders_days: int  # buyers' details on orders that lapsed unpaid (applied by the worker)
    paid_orders_years: int  # paid orders, for the accounts
    email_log_days: int  # sent and failed e-mail in the outbox (applied by the worker)
    audit_log_months: int  # the audit log (applied by the worker)


async def retention_periods() -> RetentionPeriods:
    stored = {
        row["key"].removeprefix(KEY_PREFIX): row["value"]
        for row in await SiteSetting.select(SiteSetting.key, SiteSetting.value).where(
            SiteSetting.key.like(f"{KEY_PREFIX}%")
        )
    }
    values = {}
    for name, rule in RETENTION_RULES.items():
        text = stored.get(name, "")
        number = int(text) if text.isascii() and text.isdigit() else rule.default
        values[name] = number if rule.allows(number) else rule.default
    return RetentionPeriods(**values)


def parse_periods(form: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """The periods typed into the form, and a message for each that is not a whole number in range."""
    numbers, problems = {}, {}
    for name, rule in RETENTION_RULES.items():
        text = form.get(name, "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 6 and rule.allows(int(text)):
            numbers[name] = int(text)
        else:
            problems[name] = rule.message
    return numbers, problems


async def save_retention_periods(form: dict[str, str], *, actor_id: int, ip: str) -> None:
    """Store the changed periods, audited, or raise SettingsRefused and store nothing."""
    numbers, problems = parse_periods(form)
    if problems:
        raise SettingsRefused(problems)
    now = datetime.now(UTC)
    async with write_transaction():
        current = await retention_periods()
        changed = {name: value for name, value in numbers.items() if getattr(current, name) != value}
        for name, value in changed.items():
            await store_site_setting(KEY_PREFIX + name, str(value), actor_id=actor_id, now=now)
        if changed:
            await audit.record(
                "settings.retention_updated",
                actor_id=actor_id,
                ip=ip,
                object_type="retention_settings",
                detail={"changed": changed},
            )


@dataclass(frozen=True, slots=True)
class RetentionApplied:
    email_log_entries: int  # deleted
    audit_log_entries: int  # deleted
    lapsed_orders: int  # buyer's details blanked
    contacts_removed: int = 0


async def apply_retention(now: datetime) -> RetentionApplied:
    """Delete e-mail log entries (sent, given up or uncertain) and audit entries past their periods, and
    blank the buyer's details on orders that lapsed unpaid longer ago than theirs. Queued mail is never
    touched; a lapsed order keeps its reference, lines and amounts."""
    periods = await retention_periods()
    async with write_transaction():
        lapsed = await (
            Order.update(
                {
                    Order.first_name: "",
                    Order.last_name: "",
                    Order.email: "",
                    Order.phone: "",
                    Order.postcode: "",
                    Order.buyer_ip: "",
                }
            )
            .where(
                (Order.status == OrderStatus.EXPIRED)
                & (Order.created_at < now - timedelta(days=periods.lapsed_orders_days))
                & ((Order.email != "") | (Order.first_name != "") | (Order.last_name != ""))
            )
            .returning(Order.id)
        )
        mail = await (
            OutboxMessage.delete()
            .where(
                OutboxMessage.status.is_in([OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNCERTAIN])
                & (OutboxMessage.created_at < now - timedelta(days=periods.email_log_days))
            )
            .returning(OutboxMessage.id)
        )
        entries = await (
            AuditEntry.delete()
            .where(AuditEntry.at < now - timedelta(days=DAYS_PER_MONTH * periods.audit_log_months))
            .returning(AuditEntry.id)
        )
    removed = await remove_dormant_contacts(
        now - timedelta(days=DAYS_PER_MONTH * periods.contacts_without_orders_months), now
    )
    applied = RetentionApplied(len(mail), len(entries), len(lapsed), removed)
    if mail or entries or lapsed or removed:
        log.info("retention applied: %s", applied)
    return applied


async def remove_dormant_contacts(cut_off: datetime, now: datetime) -> int:
    """Remove contacts who never bought and have not changed since `cut_off`; returns how many.
    The removal is the CRM's own, audited with no staff member as its author."""
    rows = await Contact.raw(
        DORMANT_CONTACTS_SQL,
        cut_off,
        OrderStatus.EXPIRED.value,
        OrderStatus.CANCELLED.value,
        cut_off,
        cut_off,
        REMOVALS_PER_ROUND,
    )
    removed = 0
    for row in rows:
        with contextlib.suppress(AlreadyRemoved, LookupError):  # staff removed or merged it meanwhile
            await erase_contact(row["id"], actor_id=None, ip="", now=now)
            removed += 1
    return removed


async def run_retention(*, every_seconds: float, stop: asyncio.Event, base_url: str = "") -> None:
    """The privacy side of `boxoffice worker`: apply the periods, carry out the scheduled removals of
    privacy requests and send the day's reminder of requests due (`privacy.requests`), now and then
    until `stop` is set."""
    while not stop.is_set():
        try:
            await apply_retention(datetime.now(UTC))
        except Exception:  # a failed round is logged and tried again at the next one
            log.exception("could not apply the retention periods")
        try:
            await run_privacy_duties(datetime.now(UTC), base_url)
        except Exception:  # likewise
            log.exception("could not carry out the privacy requests' duties")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)

"""The sales side of `boxoffice worker`: seats of lapsed holds and unpaid orders come back on time even
when no buyer happens to look, their Stripe sessions are closed, refunds left waiting for Stripe are
made, and checkout details kept for a lapsed basket are deleted after a day."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from boxoffice.payments.stripe_gateway import StripeGateway
from boxoffice.sales.checkout_drafts import forget_old_drafts
from boxoffice.sales.holds import release_lapsed
from boxoffice.sales.online_payment import close_lapsed_sessions
from boxoffice.sales.refunds import finish_pending_refunds

logger = logging.getLogger("boxoffice.worker")


async def tidy_sales(gateway: StripeGateway | None, now: datetime) -> None:
    released = await release_lapsed(now)
    if released:
        logger.info("released %s seats of lapsed holds and orders", released)
    await forget_old_drafts(now)
    if gateway is not None:
        await close_lapsed_sessions(gateway)
        finished = await finish_pending_refunds(gateway, now)
        if finished:
            logger.info("made %s refunds at Stripe that were left waiting", finished)


async def run_sales_maintenance(
    gateway: StripeGateway | None, *, every_seconds: float, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await tidy_sales(gateway, datetime.now(UTC))
        except Exception:  # a failed round is logged and tried again at the next one
            logger.exception("sales maintenance failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)

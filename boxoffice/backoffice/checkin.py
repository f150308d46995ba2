"""Check-in pages: choose a performance, then scan or type tickets at the door.

The scan form works without JavaScript (the whole page comes back with the result) and with htmx (only
the result and the counts come back). Door mode is the same form laid out for a phone in one hand: the
verdict first and always in view, large controls, no staff menu. The rules live in `tickets.checkin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from boxoffice.auth.permissions import Perm
from boxoffice.config import get_settings
from boxoffice.db import LARGEST_ID
from boxoffice.sales import catalog
from boxoffice.sales.catalog import ScheduledPerformance
from boxoffice.tickets import checkin
from boxoffice.tickets.signing import readable_code, ticket_signer
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM
from boxoffice.web.guards import Staff

CHECK_IN = {"permission": Perm.CHECK_IN}
STARTED_SHOWS_LISTED_FOR = timedelta(hours=6)  # a show that began this evening is still being let in
SCANNED_TEXT_SHOWN = 60  # characters of an unreadable scan echoed back, so staff can see what was read


@dataclass
class ScanForm:
    scanned: str = ""
    door: str = ""  # "1" from door mode, whose page comes back when JavaScript is off


@dataclass
class UndoForm:
    code: str = ""
    performance: str = ""
    door: str = ""


@dataclass(frozen=True, slots=True)
class ShownResult:
    """A scan's result as the page shows it: the service's answer plus what was read."""

    result: checkin.ScanResult | None
    readable_code: str = ""
    scanned_text: str = ""
    undone: bool = False
    undo_refused: bool = False


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def performance_or_404(performance_id: int) -> ScheduledPerformance:
    performance = (
        await catalog.scheduled_performance(performance_id) if 1 <= performance_id <= LARGEST_ID else None
    )
    if performance is None:
        raise NotFoundException()
    return performance


async def scan_page(
    performance: ScheduledPerformance,
    shown: ShownResult | None = None,
    *,
    fragment: bool = False,
    door: bool = False,
) -> Template:
    """The scanning page (in `door` mode or not), or (`fragment`, for htmx) only the result and the
    counts."""
    admitted, expected = await checkin.counts(performance.id)
    page = "backoffice/checkin_door.html" if door else "backoffice/checkin_scan.html"
    return Template(
        "backoffice/_checkin_result.html" if fragment else page,
        context={
            "performance": performance,
            "shown": shown,
            "admitted": admitted,
            "expected": expected,
            "fragment": fragment,
            "door": door,
        },
    )


@get("/backoffice/checkin", name="backoffice.checkin", opt=CHECK_IN)
async def choose_performance() -> Template:
    now = datetime.now(UTC)
    performances = await catalog.upcoming_performances(now - STARTED_SHOWS_LISTED_FOR, limit=30)
    today = [performance for performance in performances if is_today(performance, now)]
    later = [performance for performance in performances if not is_today(performance, now)]
    return Template("backoffice/checkin.html", context={"today": today, "later": later})


def is_today(performance: ScheduledPerformance, now: datetime) -> bool:
    """Whether the performance is on today's date where its venue is."""
    zone = ZoneInfo(performance.venue.timezone)
    return performance.starts_at.astimezone(zone).date() == now.astimezone(zone).date()


@get("/backoffice/checkin/{performance_id:int}", name="backoffice.checkin.performance", opt=CHECK_IN)
async def scanning(request: Request, performance_id: FromPath[int]) -> Template:
    return await scan_page(await performance_or_404(performance_id))


@get("/backoffice/checkin/{performance_id:int}/door", name="backoffice.checkin.door", opt=CHECK_IN)
async def door_mode(performance_id: FromPath[int]) -> Template:
    return await scan_page(await performance_or_404(performance_id), door=True)


@post("/backoffice/checkin/{performance_id:int}/scan", name="backoffice.checkin.scan", opt=CHECK_IN)
async def scan_ticket(
    request: Request, acting: Acting, performance_id: FromPath[int], data: Annotated[ScanForm, FORM]
) -> Template:
    performance = await performance_or_404(performance_id)
    staff: Staff = acting.staff
    result = await checkin.scan(
        performance.id,
        data.scanned,
        staff_id=staff.id,
        signer=ticket_signer(get_settings().ticket_key_file),
        now=datetime.now(UTC),
    )
    shown = ShownResult(
        result,
        readable_code=readable_code(result.code) if result.code else "",
        scanned_text=data.scanned.strip()[:SCANNED_TEXT_SHOWN],
    )
    return await scan_page(performance, shown, fragment=is_htmx(request), door=data.door == "1")


@post("/backoffice/checkin/undo", name="backoffice.checkin.undo", opt=CHECK_IN)
async def undo_admission(request: Request, acting: Acting, data: Annotated[UndoForm, FORM]) -> Template:
    staff: Staff = acting.staff
    code = data.code.strip().upper()[:32]
    performance_id = await checkin.undo_admission(code, staff_id=staff.id, ip=acting.ip)
    undone = performance_id is not None
    if performance_id is None:
        fallback = data.performance.strip()
        performance_id = int(fallback) if fallback.isascii() and fallback.isdigit() else 0
    performance = await performance_or_404(performance_id)
    shown = ShownResult(None, readable_code=readable_code(code), undone=undone, undo_refused=not undone)
    return await scan_page(performance, shown, fragment=is_htmx(request), door=data.door == "1")


ROUTES = [choose_performance, scanning, door_mode, scan_ticket, undo_admission]

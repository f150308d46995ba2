"""Check-in at the door through the real app: admitting, refusing, undoing, counting, and who may."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from boxoffice.auth.tables import AuditEntry
from boxoffice.config import get_settings
from boxoffice.sales.orders import new_reference, new_ticket_code
from boxoffice.sales.tables import (
    Admission,
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
    Performance,
    Ticket,
    TicketStatus,
    TicketType,
)
from boxoffice.tickets import checkin
from boxoffice.tickets.signing import TicketSigner, readable_code, ticket_signer
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.staff import make_staff, sign_in

SHOW_TIME = datetime(2030, 3, 14, 19, 30, tzinfo=UTC)
OTHER_TIME = datetime(2030, 3, 15, 14, 0, tzinfo=UTC)
HX_TOKEN = re.compile(r'"x-csrftoken": "([^"]+)"')


def signer() -> TicketSigner:
    return ticket_signer(get_settings().ticket_key_file)


async def sell_tickets(
    performance: Performance,
    count: int = 1,
    *,
    order_status: OrderStatus = OrderStatus.PAID,
    ticket_status: TicketStatus = TicketStatus.VALID,
) -> list[str]:
    """An order of `count` Adult tickets for `performance`; returns the tickets' codes."""
    ticket_type = (
        await TicketType.select(TicketType.id).where(TicketType.performance == performance.id).first()
    )
    order = Order(
        reference=new_reference(),
        channel=OrderChannel.ONLINE,
        status=order_status,
        currency="GBP",
        total=2400 * count,
    )
    await order.save()
    line = OrderLine(
        order=order.id,
        performance=performance.id,
        ticket_type=ticket_type["id"],
        description="Adult",
        quantity=count,
        unit_price=2400,
    )
    await line.save()
    codes = [new_ticket_code() for _ in range(count)]
    await Ticket.insert(
        *[
            Ticket(
                order=order.id,
                order_line=line.id,
                performance=performance.id,
                code=code,
                status=ticket_status,
            )
            for code in codes
        ]
    )
    return codes


@pytest.fixture
async def show(database) -> Performance:
    event = await make_event(await make_venue(), "the-tempest", "The Tempest")
    return await make_performance(event, SHOW_TIME, {"Adult": 2400})


@pytest.fixture
async def door(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The test client, signed in as door staff."""
    await sign_in(client, await make_staff("door_staff", name="Dana Door", enrolled=False))
    return client


async def hx_token(client: httpx.AsyncClient, performance_id: int) -> str:
    page = await client.get(f"/backoffice/checkin/{performance_id}")
    assert page.status_code == 200, page.text
    return HX_TOKEN.search(page.text).group(1)


async def scan(client: httpx.AsyncClient, performance_id: int, scanned: str) -> httpx.Response:
    """A scan as htmx sends it: the result fragment comes back."""
    token = await hx_token(client, performance_id)
    response = await client.post(
        f"/backoffice/checkin/{performance_id}/scan",
        data={"scanned": scanned},
        headers={"x-csrftoken": token, "HX-Request": "true"},
    )
    assert response.status_code == 200, response.text
    return response


def verdict(response: httpx.Response) -> str:
    found = re.search(r'<p class="checkin-verdict">([^<]*)</p>', response.text)
    assert found, response.text
    return found.group(1)


async def test_a_signed_qr_code_admits_its_ticket_and_a_second_scan_says_when_and_by_whom(door, show):
    [code] = await sell_tickets(show)

    first = await scan(door, show.id, signer().qr_payload(code))

    assert verdict(first) == "Admitted"
    assert readable_code(code) in first.text and "<html" not in first.text
    assert 'id="checkin-counts"' in first.text and 'hx-swap-oob="true"' in first.text
    assert "Admitted <strong>1</strong> of 1" in first.text
    admission = await Admission.select().first()
    assert admission["performance"] == show.id and admission["staff"] is not None

    second = await scan(door, show.id, signer().qr_payload(code))

    assert verdict(second) == "Already admitted"
    assert "by Dana Door" in second.text
    assert re.search(r'admitted at\s+<time datetime="[^"]+">\d{1,2}:\d{2}</time>', second.text)
    assert await Admission.count() == 1


async def test_a_typed_code_in_any_case_with_dashes_admits_its_ticket(door, show):
    [code] = await sell_tickets(show)

    response = await scan(door, show.id, f"  {readable_code(code).lower()} ")

    assert verdict(response) == "Admitted" and await Admission.count() == 1


async def test_a_cancelled_ticket_is_refused(door, show):
    [code] = await sell_tickets(show, ticket_status=TicketStatus.CANCELLED)

    response = await scan(door, show.id, signer().qr_payload(code))

    assert verdict(response) == "Cancelled: do not admit" and await Admission.count() == 0


@pytest.mark.parametrize("status", [OrderStatus.REFUNDED, OrderStatus.CANCELLED])
async def test_a_ticket_of_a_refunded_or_cancelled_order_is_refused(door, show, status):
    [code] = await sell_tickets(show, order_status=status)

    response = await scan(door, show.id, code)

    assert verdict(response) == "Cancelled: do not admit" and await Admission.count() == 0


async def test_a_ticket_for_another_performance_says_which_one(door, show):
    matinee = await make_performance(
        await make_event(await make_venue("barn"), "hamlet", "Hamlet"), OTHER_TIME, {"Adult": 1000}
    )
    [code] = await sell_tickets(matinee)

    response = await scan(door, show.id, signer().qr_payload(code))

    assert verdict(response) == "Another performance"
    assert "<strong>Hamlet</strong>" in response.text and "15 Mar 2030" in response.text
    assert await Admission.count() == 0


@pytest.mark.parametrize(
    "scanned",
    [
        "hello",
        "x" * 10_000,
        "' OR 1=1 --",
        "ABCD-EFGH-JKLM-NPQR' OR '1'='1",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "BX1.<script>.x",
    ],
)
async def test_garbage_is_not_a_valid_ticket_and_is_shown_escaped(door, show, scanned):
    await sell_tickets(show)

    response = await scan(door, show.id, scanned)

    assert verdict(response) == "Not a valid ticket"
    assert "<script>" not in response.text and "<img" not in response.text
    shown = re.search(r'<code class="checkin-read">([^<]*)</code>', response.text).group(1)
    assert html.unescape(shown) == scanned.strip()[:60]
    assert await Admission.count() == 0


async def test_an_unknown_code_of_the_right_shape_is_not_valid(door, show):
    await sell_tickets(show)

    response = await scan(door, show.id, "ABCD-EFGH-JKLM-NPQR")

    assert verdict(response) == "Not a valid ticket" and await Admission.count() == 0


async def test_a_real_code_with_a_forged_signature_is_not_valid(door, show):
    [code] = await sell_tickets(show)
    forged = TicketSigner(Ed25519PrivateKey.generate()).qr_payload(code)
    assert forged.split(".")[1] == code

    response = await scan(door, show.id, forged)

    assert verdict(response) == "Not a valid ticket" and await Admission.count() == 0


async def test_simultaneous_scans_of_one_ticket_admit_it_once(show):
    [code] = await sell_tickets(show)
    staff = await make_staff("door_staff", name="Dana Door", enrolled=False)
    now = datetime.now(UTC)

    results = await asyncio.gather(
        *[
            checkin.scan(show.id, signer().qr_payload(code), staff_id=staff.id, signer=signer(), now=now)
            for _ in range(8)
        ]
    )

    outcomes = sorted(result.outcome for result in results)
    assert outcomes.count(checkin.Outcome.ADMITTED) == 1
    assert outcomes.count(checkin.Outcome.ALREADY_ADMITTED) == 7
    assert all(result.admitted_by == "Dana Door" for result in results if result.admitted_by)
    assert await Admission.count() == 1


async def test_counts_are_admissions_of_valid_paid_tickets_expected(door, show):
    codes = await sell_tickets(show, 3)
    await sell_tickets(show, 2, order_status=OrderStatus.REFUNDED)
    await sell_tickets(show, ticket_status=TicketStatus.CANCELLED)
    await sell_tickets(show, order_status=OrderStatus.PENDING_PAYMENT)

    assert await checkin.counts(show.id) == (0, 3)
    await scan(door, show.id, codes[0])
    await scan(door, show.id, codes[1])

    assert await checkin.counts(show.id) == (2, 3)
    page = await door.get(f"/backoffice/checkin/{show.id}")
    assert "Admitted <strong>2</strong> of 3" in page.text


async def test_a_ticket_cancelled_after_it_was_admitted_leaves_both_counts(door, show):
    codes = await sell_tickets(show, 3)
    await scan(door, show.id, codes[0])
    await scan(door, show.id, codes[1])

    await Ticket.update({Ticket.status: TicketStatus.CANCELLED}).where(Ticket.code == codes[0])

    assert await checkin.counts(show.id) == (1, 2)


async def test_an_admission_can_be_undone_audited_and_the_ticket_scanned_again(door, show):
    [code] = await sell_tickets(show)
    admitted = await scan(door, show.id, code)
    assert 'name="code" value="' + code + '"' in admitted.text
    token = await hx_token(door, show.id)

    undone = await door.post(
        "/backoffice/checkin/undo",
        data={"code": code, "performance": str(show.id)},
        headers={"x-csrftoken": token, "HX-Request": "true"},
    )

    assert undone.status_code == 200 and verdict(undone) == "Admission undone"
    assert "Admitted <strong>0</strong> of 1" in undone.text
    assert await Admission.count() == 0
    [entry] = await AuditEntry.select().where(AuditEntry.action == "checkin.undone")
    assert entry["object_type"] == "ticket" and entry["actor"] is not None
    assert verdict(await scan(door, show.id, code)) == "Admitted"


async def test_undoing_a_ticket_that_was_not_admitted_changes_nothing(door, show):
    [code] = await sell_tickets(show)
    token = await hx_token(door, show.id)

    response = await door.post(
        "/backoffice/checkin/undo",
        data={"code": code, "performance": str(show.id)},
        headers={"x-csrftoken": token, "HX-Request": "true"},
    )

    assert response.status_code == 200 and verdict(response) == "Nothing to undo"
    assert await AuditEntry.count().where(AuditEntry.action == "checkin.undone") == 0


async def test_without_javascript_a_scan_renders_the_whole_page_with_the_result(door, show):
    [code] = await sell_tickets(show)
    page = await door.get(f"/backoffice/checkin/{show.id}")
    form_token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)

    response = await door.post(
        f"/backoffice/checkin/{show.id}/scan", data={"scanned": code, "_csrf_token": form_token}
    )

    assert response.status_code == 200
    assert "<html" in response.text and "<h1>Check-in</h1>" in response.text
    assert verdict(response) == "Admitted"
    assert re.search(r'<input id="field-scanned" name="scanned" type="text"[^>]*autofocus', response.text)
    assert 'role="status"' in response.text and 'aria-live="polite"' in response.text
    assert "hx-swap-oob" not in response.text


async def test_the_choice_page_links_to_each_coming_performance(door, show):
    page = await door.get("/backoffice/checkin")

    assert page.status_code == 200
    assert f'href="/backoffice/checkin/{show.id}"' in page.text and "The Tempest" in page.text


async def test_an_unknown_performance_is_not_found(door, show):
    assert (await door.get("/backoffice/checkin/999999")).status_code == 404
    assert (await door.get(f"/backoffice/checkin/{2**40}")).status_code == 404


async def test_the_scans_need_the_csrf_token(door, show):
    [code] = await sell_tickets(show)

    scanned = await door.post(f"/backoffice/checkin/{show.id}/scan", data={"scanned": code})
    forged = await door.post(
        f"/backoffice/checkin/{show.id}/scan",
        data={"scanned": code},
        headers={"x-csrftoken": "forged", "HX-Request": "true"},
    )
    undo = await door.post("/backoffice/checkin/undo", data={"code": code})

    assert (scanned.status_code, forged.status_code, undo.status_code) == (403, 403, 403)
    assert await Admission.count() == 0


async def test_marketing_staff_may_not_check_in(client, show):
    [code] = await sell_tickets(show)
    await sign_in(client, await make_staff("marketing"))
    token = HX_TOKEN.search((await client.get("/backoffice/")).text).group(1)

    pages = [await client.get("/backoffice/checkin"), await client.get(f"/backoffice/checkin/{show.id}")]
    posts = [
        await client.post(
            f"/backoffice/checkin/{show.id}/scan",
            data={"scanned": code},
            headers={"x-csrftoken": token, "HX-Request": "true"},
        ),
        await client.post(
            "/backoffice/checkin/undo",
            data={"code": code},
            headers={"x-csrftoken": token, "HX-Request": "true"},
        ),
    ]

    assert [response.status_code for response in pages + posts] == [403, 403, 403, 403]
    assert await Admission.count() == 0


async def test_signed_out_visitors_are_sent_to_sign_in(client, show):
    response = await client.get(f"/backoffice/checkin/{show.id}")

    assert response.status_code == 303 and response.headers["location"].startswith("/backoffice/login")

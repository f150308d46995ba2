"""Selling at the box-office counter.

The operator's basket is an ordinary basket of holds (seats are taken exactly as online), filed under a
key derived from the venue's secret and the operator's id, so no storefront cookie can name it. A sale
turns the basket into a paid order in one transaction: the order, its tickets, the payment, the
customer's marketing answer (consent record and note) and the confirmation e-mail land together or not
at all. A walk-in customer leaves no personal data, and can never be opted in to marketing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from boxoffice.auth import audit
from boxoffice.crm.contacts import ContactDetails, add_note, create_contact
from boxoffice.crm.tables import Contact
from boxoffice.db import write_transaction
from boxoffice.errors import Refused
from boxoffice.marketing.consent import record_consent
from boxoffice.marketing.questions import current_question
from boxoffice.marketing.tables import QuestionKind
from boxoffice.money import Money
from boxoffice.sales.catalog import ScheduledPerformance, scheduled, scheduled_query
from boxoffice.sales.confirmation import queue_confirmation
from boxoffice.sales.counter_payments import CounterPayment, check_payment, record_counter_payment
from boxoffice.sales.orders import (
    BasketLapsed,
    Fulfilment,
    PaymentReceived,
    basket_total,
    fulfil_order,
    give_away_order,
    insert_order_lines,
    issue_tickets,
    take_basket_holds,
    ticket_prices,
    unused_reference,
)
from boxoffice.sales.summary import count_in, in_step
from boxoffice.sales.tables import (
    EventStatus,
    Order,
    OrderChannel,
    OrderStatus,
    Payment,
    PaymentMethod,
    Performance,
)

SALE_KEY = re.compile(r"[0-9a-f]{32}")
COUNTER_MAX_TICKETS = 200  # a group booking at the counter may be larger than an online order
COUNTER_HOLD_MINUTES = 30  # a counter basket outlives a phone call or a customer finding their purse


def counter_basket_token(staff_id: int, secret_key: bytes) -> str:
    """The operator's basket at the counter. Keyed with the venue's secret: a storefront basket cookie
    can never be made to name it."""
    return hmac.new(secret_key, f"counter-basket:{staff_id}".encode(), hashlib.sha256).hexdigest()


PERFORMANCES_LISTED = 20
PERFORMANCES_SEARCHED = 500  # the next few months of a busy venue; titles are matched in Python, portably


@dataclass(frozen=True, slots=True)
class PerformanceChoices:
    today: list[ScheduledPerformance]
    later: list[ScheduledPerformance]


async def counter_performances(title: str, now: datetime) -> PerformanceChoices:
    """Performances on sale still to come, today's apart (in each venue's time zone), optionally those of
    events whose title contains `title`."""
    rows = (
        await scheduled_query()
        .where((Performance.starts_at > now) & (Performance.event.status == EventStatus.ON_SALE))
        .order_by(Performance.starts_at)
        .limit(PERFORMANCES_SEARCHED)
    )
    wanted = title.strip().casefold()
    performances = [scheduled(row) for row in rows if not wanted or wanted in row["event_title"].casefold()][
        :PERFORMANCES_LISTED
    ]

    def is_today(performance: ScheduledPerformance) -> bool:
        zone = ZoneInfo(performance.venue.timezone)
        return performance.starts_at.astimezone(zone).date() == now.astimezone(zone).date()

    return PerformanceChoices(
        [performance for performance in performances if is_today(performance)],
        [performance for performance in performances if not is_today(performance)],
    )


class SaleRefused(Refused):
    """Nothing was sold or recorded."""


@dataclass(frozen=True, slots=True)
class MarketingAnswer:
    """The back-office marketing question as the operator answered it for the customer."""

    opted_in: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class CounterSale:
    contact_id: int | None  # None: a walk-in customer
    marketing: MarketingAnswer
    payment: CounterPayment
    email_tickets: bool
    sale_key: str  # from the form: submitting it twice sells once


@dataclass(frozen=True, slots=True)
class SoldOrder:
    id: int
    reference: str
    total: Money
    change_due: Money


async def live_contact(contact_id: int) -> dict | None:
    return (
        await Contact.select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.email,
            Contact.phone,
            Contact.postcode,
            Contact.restricted,
        )
        .where((Contact.id == contact_id) & Contact.erased_at.is_null())
        .first()
    )


async def add_counter_contact(details: ContactDetails, *, staff_id: int, ip: str, now: datetime) -> int:
    """A customer added at the counter (see `crm.contacts.create_contact`, whose refusals it passes on).
    Audited."""
    async with write_transaction():
        contact_id = await create_contact(details, now)
        await audit.record(
            "contact.created",
            actor_id=staff_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={"source": "box_office"},
        )
    return contact_id


async def record_counter_opt_in(
    contact_id: int | None, answer: MarketingAnswer, *, staff_id: int, ip: str, now: datetime
) -> None:
    """Record that the customer said yes to the back-office marketing question: a consent record with the
    question's wording and version, and the operator's note on the contact. Audited.

    Refused when the question is switched off, for a walk-in, or without a note. Joins the caller's
    transaction (the sale), or makes one of its own when recorded on its own."""
    question = await current_question(QuestionKind.BOX_OFFICE)
    if not question.enabled:
        raise SaleRefused({"marketing": "The back-office marketing question is switched off in Settings."})
    if contact_id is None:
        raise SaleRefused(
            {"marketing": "A walk-in customer cannot be opted in: find or create their contact first."}
        )
    note = answer.note.strip()
    if not note:
        raise SaleRefused({"marketing_note": "Add a note saying how the customer agreed."})
    async with write_transaction():
        contact = await live_contact(contact_id)
        if contact is None:
            raise SaleRefused({"": "That contact no longer exists."})
        if contact["restricted"]:
            raise SaleRefused({"marketing": "This customer's data is restricted: they cannot be opted in."})
        consent_id = await record_consent(
            contact_id=contact_id,
            channel="email",
            granted=True,
            source="box_office",
            question=question,
            note=note,
            actor_id=staff_id,
            ip=ip,
            now=now,
        )
        await add_note(contact_id, note, author_id=staff_id, now=now)
        await audit.record(
            "consent.box_office_opt_in",
            actor_id=staff_id,
            ip=ip,
            object_type="contact",
            object_id=contact_id,
            detail={"consent_record": consent_id, "question_version": question.version},
        )


async def sell_basket(
    basket_token: str, sale: CounterSale, *, staff_id: int, may_comp: bool, ip: str, now: datetime
) -> SoldOrder:
    """Sell what the basket holds as one paid box-office order; SaleRefused (nothing changed, the basket
    kept) when the payment does not cover it, the marketing answer cannot be recorded, or the basket is
    empty. The same form sent again (a double click) finds its order instead of an empty basket."""
    if not SALE_KEY.fullmatch(sale.sale_key):
        raise SaleRefused({"": "This form has expired; check the basket and take payment again."})
    if sale.marketing.opted_in and sale.contact_id is None:
        raise SaleRefused(
            {"marketing": "A walk-in customer cannot be opted in: find or create their contact first."}
        )
    earlier = await sold_by_key(sale.sale_key)
    if earlier is not None:  # the form went through before (a double click, or the browser's back button)
        return earlier
    try:
        return await sell_in_one_transaction(
            basket_token, sale, staff_id=staff_id, may_comp=may_comp, ip=ip, now=now
        )
    except BasketLapsed:
        earlier = await sold_by_key(sale.sale_key)
        if earlier is None:
            raise SaleRefused({"": "The basket is empty: its time ran out, or it has been sold."}) from None
        return earlier


async def sold_by_key(sale_key: str) -> SoldOrder | None:
    order = (
        await Order.select(Order.id, Order.reference, Order.total, Order.currency)
        .where(Order.sale_key == sale_key)
        .first()
    )
    if order is None:
        return None
    payment = (
        await Payment.select(Payment.amount, Payment.tendered).where(Payment.order == order["id"]).first()
    )
    change = (payment["tendered"] or payment["amount"]) - payment["amount"] if payment else 0
    return SoldOrder(
        order["id"],
        order["reference"],
        Money(order["currency"], order["total"]),
        Money(order["currency"], change),
    )


async def sell_in_one_transaction(
    basket_token: str, sale: CounterSale, *, staff_id: int, may_comp: bool, ip: str, now: datetime
) -> SoldOrder:
    async with write_transaction():
        contact = None
        if sale.contact_id is not None:
            contact = await live_contact(sale.contact_id)
            if contact is None:
                raise SaleRefused({"": "That contact no longer exists; choose the customer again."})
        live = await take_basket_holds(basket_token, now)
        prices = await ticket_prices([row["ticket_type"] for row in live])
        currency = prices[live[0]["ticket_type"]]["currency"]
        face_value = basket_total(live, prices)
        payment = check_payment(sale.payment, face_value, currency, may_comp=may_comp)
        if payment.method is PaymentMethod.COMPLIMENTARY:
            live = [{**row, "unit_price": 0} for row in live]
        reference = await unused_reference()
        [order] = await Order.insert(
            Order(
                reference=reference,
                channel=OrderChannel.BOX_OFFICE,
                status=OrderStatus.PAID,
                contact=contact["id"] if contact else None,
                first_name=contact["first_name"] if contact else "",
                last_name=contact["last_name"] if contact else "",
                email=contact["email"] if contact else "",
                phone=contact["phone"] if contact else "",
                postcode=contact["postcode"] if contact else "",
                currency=currency,
                total=payment.amount,
                created_at=now,
                paid_at=now,
                sale_key=sale.sale_key,
            )
        ).returning(Order.id)
        await insert_order_lines(order["id"], live, prices)
        payment_id = await record_counter_payment(order["id"], payment, currency, staff_id=staff_id, now=now)
        await issue_tickets(order["id"], now)
        await count_in(order["id"])
        if sale.marketing.opted_in:
            await record_counter_opt_in(sale.contact_id, sale.marketing, staff_id=staff_id, ip=ip, now=now)
        if sale.email_tickets and contact and contact["email"]:
            await queue_confirmation(order["id"])
        await audit.record(
            "order.sold",
            actor_id=staff_id,
            ip=ip,
            object_type="order",
            object_id=order["id"],
            detail={
                "payment": payment_id,
                "method": payment.method.value,
                "amount": payment.amount,
                "face_value": face_value,
            },
        )
    return SoldOrder(
        order["id"], reference, Money(currency, payment.amount), Money(currency, payment.change_due)
    )


async def take_reservation_payment(
    order_id: int, payment: CounterPayment, *, staff_id: int, may_comp: bool, ip: str, now: datetime
) -> Money:
    """Take payment at the counter for an order reserved online to pay at the box office: it is fulfilled
    like a paid online order (tickets, contact, confirmation e-mail). Returns the change due. Audited."""
    async with write_transaction(), in_step(order_id):
        order = (
            await Order.select(Order.status, Order.total, Order.currency).where(Order.id == order_id).first()
        )
        if order is None or order["status"] != OrderStatus.RESERVED:
            raise SaleRefused({"": "Only a reservation still waiting for payment can be paid."})
        checked = check_payment(payment, order["total"], order["currency"], may_comp=may_comp)
        if checked.method is PaymentMethod.COMPLIMENTARY:
            await give_away_order(order_id)
        received = PaymentReceived(
            method=checked.method,
            amount=checked.amount,
            currency=order["currency"],
            provider_reference=checked.provider_reference,
            staff_id=staff_id,
            tendered=checked.tendered,
            reason=checked.reason,
        )
        if await fulfil_order(order_id, received, now=now) is not Fulfilment.FULFILLED:
            raise SaleRefused({"": "Only a reservation still waiting for payment can be paid."})
        await audit.record(
            "order.payment_taken",
            actor_id=staff_id,
            ip=ip,
            object_type="order",
            object_id=order_id,
            detail={"method": checked.method.value, "amount": checked.amount},
        )
    return Money(order["currency"], checked.change_due)

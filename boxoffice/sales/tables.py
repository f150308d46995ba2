"""What a venue puts on sale, and what it sells: holds, orders, tickets, payments and refunds; and, for
seated performances, the seating plans and each performance's own seats."""

from enum import StrEnum

from piccolo.columns import BigInt, Boolean, Bytea, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Venue(Table):
    """A place with a stage. Its locale, time zone and currency govern how its dates and prices read."""

    name = Varchar(length=200)
    slug = Varchar(length=80, unique=True)
    address = Text(default="")
    locale = Varchar(length=16, default="en_GB")
    timezone = Varchar(length=64, default="Europe/London")
    currency = Varchar(length=3, default="GBP")


class SeatingPlan(Table):
    """A venue's layout of numbered seats. Performances copy it when they are set up as seated
    (`PerformanceSeat`), so editing a plan never changes a performance already on sale."""

    venue = ForeignKey(references=Venue, null=False, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())


class SeatAttribute(StrEnum):
    WHEELCHAIR = "wheelchair"  # a space for a wheelchair user
    COMPANION = "companion"  # beside a wheelchair space, for a companion
    RESTRICTED_VIEW = "restricted_view"
    AISLE = "aisle"


class PlanSeat(Table):
    """One seat of a plan: where it is drawn (`x`, `y`, in tenths of a seat's width), its labels, price
    zone and attributes (space-separated `SeatAttribute` values). (plan, section, row, label) is unique,
    by a hand-written migration of this app."""

    plan = ForeignKey(references=SeatingPlan, null=False, on_delete=OnDelete.cascade, index=True)
    section = Varchar(length=60)
    row = Varchar(length=10)
    label = Varchar(length=10)
    x = Integer()
    y = Integer()
    zone = Varchar(length=40, default="")
    attributes = Varchar(length=200, default="")


class EventStatus(StrEnum):
    DRAFT = "draft"
    ON_SALE = "on_sale"
    OFF_SALE = "off_sale"


class Picture(Table):
    """A picture staff uploaded (an event's, the venue's logo), re-encoded (`documents.pictures`).
    `digest` names it in its address; `widths` lists its renditions' widths, space-separated, so pages
    build their `srcset` without reading the renditions."""

    digest = Varchar(length=64, unique=True)
    width = Integer()
    height = Integer()
    widths = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class PictureRendition(Table):
    """A picture as WebP at one width; (picture, width) is unique (see the migrations)."""

    picture = ForeignKey(references=Picture, null=False, on_delete=OnDelete.cascade, index=True)
    width = Integer()
    content = Bytea()


class Event(Table):
    """A production or show, with one or more performances, and the picture the storefront shows for
    it, with the text that stands for it for people who cannot see it (`picture_alt`)."""

    venue = ForeignKey(references=Venue, null=False, on_delete=OnDelete.restrict, index=True)
    slug = Varchar(length=80, unique=True)
    title = Varchar(length=200)
    description = Text(default="")
    status = Varchar(length=16, choices=EventStatus, default=EventStatus.DRAFT, index=True)
    picture = ForeignKey(references=Picture, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    picture_alt = Varchar(length=300, default="")


class Performance(Table):
    """One showing of an event. Its capacity is shared by all its ticket types.

    `available` counts the seats neither sold nor held. It only ever changes by conditional UPDATEs
    (`available = available - n WHERE available >= n`), which is what makes overselling impossible.

    `event` leads the index (event, starts_at) of a hand-written migration of this app (Piccolo declares
    indexes on single columns only): an event's performances are listed soonest first.
    """

    event = ForeignKey(references=Event, null=False, on_delete=OnDelete.restrict)
    starts_at = Timestamptz(index=True)
    capacity = Integer()
    available = Integer(default=0)
    sales_start = Timestamptz(null=True, default=None)
    sales_end = Timestamptz(null=True, default=None)
    # the plan a seated performance copied its seats from; none for general admission
    seating_plan = ForeignKey(references=SeatingPlan, null=True, on_delete=OnDelete.restrict, index=True)
    # made afresh (random) when the performance takes its copy of the plan: that copy never changes after,
    # so the drawing of its seats is kept under this key (`seating.maps`); empty draws it every time
    seating_key = Varchar(length=32, default="")


class TicketType(Table):
    """A kind of ticket for one performance (Adult, Concession, ...), priced in integer minor units.

    A type may cap how many of it are sold (`cap`); then `available` counts what is left of the cap,
    taken and given back together with the performance's own count.

    `performance` leads the index (performance, currency, price) of a hand-written migration of this app
    (Piccolo declares indexes on single columns only), which finds a performance's cheapest ticket.
    """

    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    price = Integer()
    currency = Varchar(length=3)
    cap = Integer(null=True, default=None)
    available = Integer(null=True, default=None)
    position = Integer(default=0)


class Hold(Table):
    """Seats set aside for a basket until `expires_at`; deleting the row gives them back. On a seated
    performance a hold is of one ticket type in one price `zone`, and names its seats
    (`PerformanceSeat.hold`)."""

    basket = Varchar(length=64, index=True)  # SHA-256 of the basket cookie
    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict, index=True)
    ticket_type = ForeignKey(references=TicketType, null=False, on_delete=OnDelete.restrict, index=True)
    quantity = Integer()
    expires_at = Timestamptz(index=True)
    zone = Varchar(length=40, default="")  # the seats' price zone, on a seated performance
    extended_at = Timestamptz(null=True, default=None)  # when the buyer took their one "more time"


class CheckoutDraft(Table):
    """The details a buyer typed at checkout, kept by basket when their hold lapsed so the form is filled
    in again when they choose new tickets. Deleted when the basket becomes an order, and by the worker a
    day after it was saved (as long as the basket cookie lives): nothing here outlives a day."""

    basket = Varchar(length=64, unique=True)  # SHA-256 of the basket cookie, as `Hold.basket`
    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    email = Varchar(length=254, default="")
    phone = Varchar(length=40, default="")
    postcode = Varchar(length=16, default="")
    marketing = Boolean(default=False)
    saved_at = Timestamptz(index=True)


class SeatState(StrEnum):
    AVAILABLE = "available"
    HELD = "held"  # by a basket's or the counter's hold (`hold`), or an unpaid order's line (`order_line`)
    SOLD = "sold"  # to the valid ticket whose `seat` it is, on `order_line`
    KILLED = "killed"  # kept off sale (house seats, technical kills, wheelchair spaces), with a reason


class PerformanceSeat(Table):
    """A seat of one performance, copied from its plan, and its state.

    A seat changes state only by a conditional UPDATE that names the state it leaves (`... SET state =
    'held' WHERE id = ? AND state = 'available'`), so a seat is never held or sold twice, however many
    buyers race for it. (performance, section, row, label) is unique, by a hand-written migration."""

    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict, index=True)
    section = Varchar(length=60)
    row = Varchar(length=10)
    label = Varchar(length=10)
    x = Integer()
    y = Integer()
    zone = Varchar(length=40, default="")
    attributes = Varchar(length=200, default="")
    state = Varchar(length=16, choices=SeatState, default=SeatState.AVAILABLE)
    hold = ForeignKey(references=Hold, null=True, on_delete=OnDelete.set_null, index=True)
    # the order line the seat was last taken by (`seating.claims`); with state `held` or `sold` it is the
    # line's, and a line paid after it lapsed takes its seats back by it
    order_line = ForeignKey(references="OrderLine", null=True, on_delete=OnDelete.set_null, index=True)
    kill_reason = Varchar(length=200, default="")
    killed_by = Integer(null=True, default=None)  # the staff member who killed it


class ZonePrice(Table):
    """What a ticket type costs in one price zone of a seated performance (Adult in zone A: £32).
    (ticket_type, zone) is unique, by a hand-written migration."""

    ticket_type = ForeignKey(references=TicketType, null=False, on_delete=OnDelete.cascade, index=True)
    zone = Varchar(length=40)
    price = Integer()


class OrderChannel(StrEnum):
    ONLINE = "online"
    BOX_OFFICE = "box_office"


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # seats taken while the buyer pays; lapses at expires_at
    RESERVED = "reserved"  # to pay at the box office; lapses at expires_at
    PAID = "paid"
    EXPIRED = "expired"  # lapsed unpaid, seats given back
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Order(Table):
    """A purchase. The buyer's details are copied here as given at the time (blanked on erasure).

    `status` leads the index (status, id) of a hand-written migration of this app (Piccolo declares
    indexes on single columns only): the order list filters on a status and shows the newest first.
    `contact` leads the index (contact, created_at, id) of another: a contact's orders, newest first;
    and `channel` the index (channel, status, created_at, marketing_opt_in): the consent report counts a
    few months' paid online orders, and how many opted in, from that index alone.
    `email` is indexed for the orders never linked to a contact that erasure and export look up by it."""

    reference = Varchar(length=16, unique=True)
    channel = Varchar(length=16, choices=OrderChannel)
    status = Varchar(length=20, choices=OrderStatus)
    contact = Integer(null=True, default=None)  # crm contact id, once known
    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    email = Varchar(length=254, default="", index=True)
    phone = Varchar(length=40, default="")
    postcode = Varchar(length=16, default="")
    currency = Varchar(length=3)
    total = Integer()  # what is paid for it: 0 for tickets given away
    terms_version = Integer(null=True, default=None)
    privacy_version = Integer(null=True, default=None)
    marketing_opt_in = Boolean(default=False)  # the buyer ticked the marketing question
    consent_question = Integer(null=True, default=None)  # the question version they were shown
    buyer_ip = Varchar(length=45, default="")
    stripe_session = Varchar(length=255, null=True, default=None, unique=True)
    stripe_session_open = Boolean(default=False)  # until paid, or expired by us after the order lapsed
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None, index=True)
    paid_at = Timestamptz(null=True, default=None)
    # the box-office sale form that made it; unique (see the migrations), so a double click sells once
    sale_key = Varchar(length=32, null=True, default=None)
    # when the buyer last asked for the confirmation again, from the booking page: once in a while only
    confirmation_resent_at = Timestamptz(null=True, default=None)


class OrderLine(Table):
    """Tickets of one type on an order. `unit_price` is what was paid for each (0 for tickets given away,
    complimentary); `face_value` is the ticket type's price at the time, kept for reports."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.restrict, index=True)
    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict, index=True)
    ticket_type = ForeignKey(references=TicketType, null=False, on_delete=OnDelete.restrict, index=True)
    description = Varchar(length=300)
    quantity = Integer()
    unit_price = Integer()
    face_value = Integer(default=0)
    zone = Varchar(length=40, default="")  # the price zone of a seated performance's tickets


class TicketStatus(StrEnum):
    VALID = "valid"
    CANCELLED = "cancelled"


class Ticket(Table):
    """One admission, with an unguessable code."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.restrict, index=True)
    order_line = ForeignKey(references=OrderLine, null=False, on_delete=OnDelete.restrict, index=True)
    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict, index=True)
    code = Varchar(length=32, unique=True)
    status = Varchar(length=16, choices=TicketStatus, default=TicketStatus.VALID)
    seat = ForeignKey(references=PerformanceSeat, null=True, on_delete=OnDelete.restrict, index=True)
    issued_at = Timestamptz(default=TimestamptzNow())


class PaymentMethod(StrEnum):
    STRIPE = "stripe"
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"
    COMPLIMENTARY = "complimentary"


class Payment(Table):
    """Money received for an order. Complimentary tickets take none: their payment records 0, with who gave
    them and why (the face value stays on the order lines).

    `refunded` counts what has been given back of it; it only grows by a conditional UPDATE
    (`refunded = refunded + n WHERE amount - refunded >= n`), so no payment is ever refunded beyond
    what was paid, however many refunds race. `provider_reference` is Stripe's payment intent or the
    card terminal's receipt reference."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.restrict, index=True)
    method = Varchar(length=20, choices=PaymentMethod)
    amount = Integer()
    currency = Varchar(length=3)
    provider_reference = Varchar(length=255, default="", index=True)  # a Stripe refund finds its payment
    created_at = Timestamptz(default=TimestamptzNow(), index=True)  # the till report reads a day's
    staff = Integer(null=True, default=None)  # the operator, for in-person payments
    tendered = Integer(null=True, default=None)  # cash handed over, when more than the amount
    refunded = Integer(default=0)
    reason = Varchar(length=200, default="")  # why tickets were given away (complimentary)


class Refund(Table):
    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.restrict, index=True)
    payment = ForeignKey(references=Payment, null=False, on_delete=OnDelete.restrict, index=True)
    amount = Integer()
    currency = Varchar(length=3)
    reason = Varchar(length=200, default="")
    provider_reference = Varchar(length=255, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    staff = Integer(null=True, default=None)
    # the form that asked for it; unique (see the migrations), so one form refunds once
    request_key = Varchar(length=64, null=True, default=None)


class OrderNote(Table):
    """A note on an order by a staff member ("collected by her son"); only ever added.

    `author` is a staff id kept as a plain integer, so notes never block removing a staff account."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.restrict, index=True)
    author = Integer(null=True, default=None)
    text = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class StripeEvent(Table):
    """Each Stripe event applied, recorded in the same transaction as its effects: a redelivery or a
    replay finds its id taken and changes nothing."""

    event_id = Varchar(length=255, unique=True)
    event_type = Varchar(length=100)
    processed_at = Timestamptz(default=TimestamptzNow())


class Admission(Table):
    """A ticket let in at the door. The UNIQUE ticket column is what makes a ticket admit once: two
    scans at the same instant race for one INSERT, and the loser finds the winner's row."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, unique=True)
    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict, index=True)
    admitted_at = Timestamptz(default=TimestamptzNow())
    staff = Integer(null=True, default=None)  # the door staff member who scanned it


class TicketsPdf(Table):
    """The tickets PDF last made for an order, handed out again while nothing it shows has changed: its
    `fingerprint` (`tickets.printing.fingerprint`) is of every value printed and of the design. It shows the
    buyer's name, so removing a contact deletes the copies of their orders (`sales.erasure`)."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.cascade, unique=True)
    fingerprint = Varchar(length=64)
    content = Bytea()
    made_at = Timestamptz(default=TimestamptzNow(), index=True)  # the oldest copies make way first


class SalesSummary(Table):
    """What one UTC hour's payments, refunds and tickets add up to for one performance, ticket type, price
    zone, channel, payment method and operator (`boxoffice.sales.summary` keeps it in step with sales).
    `slot` joins those keys into one unique text, which both engines' upserts can name. Ticket rows have
    an empty method; `staff`, like the payment's, is a plain number, so a former operator stays counted."""

    slot = Varchar(length=200, unique=True)
    hour = Varchar(length=13, index=True)  # "2026-11-21 19", UTC: reports read a range of hours
    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict, index=True)
    ticket_type = ForeignKey(references=TicketType, null=False, on_delete=OnDelete.restrict, index=True)
    zone = Varchar(length=40, default="")
    channel = Varchar(length=20)
    method = Varchar(length=20, default="")
    staff = Integer(null=True, default=None)
    tickets = Integer(default=0)
    comps = Integer(default=0)
    comp_value = BigInt(default=0)
    cancelled = Integer(default=0)
    taken = BigInt(default=0)
    refunded = BigInt(default=0)

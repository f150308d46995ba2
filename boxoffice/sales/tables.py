"""The catalog: what a venue puts on sale."""

from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table


class Venue(Table):
    """A place with a stage. Its locale, time zone and currency govern how its dates and prices read."""

    name = Varchar(length=200)
    slug = Varchar(length=80, unique=True)
    address = Text(default="")
    locale = Varchar(length=16, default="en_GB")
    timezone = Varchar(length=64, default="Europe/London")
    currency = Varchar(length=3, default="GBP")


class EventStatus(StrEnum):
    DRAFT = "draft"
    ON_SALE = "on_sale"
    OFF_SALE = "off_sale"


class Event(Table):
    """A production or show, with one or more performances."""

    venue = ForeignKey(references=Venue, null=False, on_delete=OnDelete.restrict)
    slug = Varchar(length=80, unique=True)
    title = Varchar(length=200)
    description = Text(default="")
    status = Varchar(length=16, choices=EventStatus, default=EventStatus.DRAFT, index=True)


class Performance(Table):
    """One showing of an event. Its capacity is shared by all its ticket types."""

    event = ForeignKey(references=Event, null=False, on_delete=OnDelete.restrict)
    starts_at = Timestamptz(index=True)
    capacity = Integer()
    sales_start = Timestamptz(null=True, default=None)
    sales_end = Timestamptz(null=True, default=None)


class TicketType(Table):
    """A kind of ticket for one performance (Adult, Concession, ...), priced in integer minor units."""

    performance = ForeignKey(references=Performance, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    price = Integer()
    currency = Varchar(length=3)
    cap = Integer(null=True, default=None)
    position = Integer(default=0)

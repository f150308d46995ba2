"""A booking as an iCalendar file (RFC 5545), for the buyer's calendar: one event per performance.

Made with `icalendar` rather than by hand: folding long lines, escaping commas and semicolons in titles
and addresses, and UTC times are what hand-written files get wrong, and calendar apps then drop them.
The file carries no link to the booking page: calendars are often shared, and that link shows the
tickets' codes."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from boxoffice.sales.bookings import Booking

PRODUCT_ID = "-//Boxoffice//Booking//EN"


def booking_calendar(booking: Booking, *, host: str, now: datetime) -> bytes:
    """The booking's performances as calendar events. Their UIDs stay the same for the same booking, so
    importing the file twice updates the events rather than doubling them. Performances have no end
    time, so the events have none either (RFC 5545 reads that as ending when they start)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for performance in booking.performances:
        event = Event()
        event.add("uid", f"{booking.reference}-{performance.starts_at:%Y%m%dT%H%M%SZ}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", performance.starts_at)
        event.add("summary", performance.event_title)
        event.add("location", performance.venue_address_line)
        tickets = len(performance.tickets)
        event.add(
            "description",
            f"Booking {booking.reference}: {tickets} ticket{'' if tickets == 1 else 's'}.",
        )
        calendar.add_component(event)
    return calendar.to_ical()

"""What the venue keeps about people's privacy requests and its personal-data breaches, and the sign-in
links of the privacy centre. Links and sessions are kept only as SHA-256 digests; the addresses links were
asked for only as keyed digests, for the rate limit."""

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from boxoffice.crm.tables import Contact


class CentreSignIn(Table):
    """A sign-in link of the privacy centre, and the session it became once used.

    `link_digest` is the digest of the link's secret; the link works once (`used_at`), until
    `link_expires_at`. Using it makes a session whose secret is held by the person's browser
    (`session_digest`), until `session_expires_at`. A link asked for an address we do not know names no
    contact and can sign nobody in: it is kept so that both answers cost the same."""

    contact = ForeignKey(references=Contact, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    link_digest = Varchar(length=64, unique=True)
    link_expires_at = Timestamptz(index=True)
    used_at = Timestamptz(null=True, default=None)
    session_digest = Varchar(length=64, null=True, default=None, unique=True)
    session_expires_at = Timestamptz(null=True, default=None)


class LinkRequest(Table):
    """One request for a sign-in link, counted per address (a keyed digest) and per IP address."""

    address_digest = Varchar(length=64, index=True)
    ip = Varchar(length=45, index=True)
    requested_at = Timestamptz(default=TimestamptzNow(), index=True)


class RequestKind(StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"  # to marketing


class RequestChannel(StrEnum):
    CENTRE = "centre"
    LETTER = "letter"
    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"


class RequestStatus(StrEnum):
    OPEN = "open"  # staff have to answer it
    SCHEDULED = "scheduled"  # an erasure the worker carries out at `remove_after`
    DONE = "done"
    REFUSED = "refused"


class PrivacyRequest(Table):
    """A request under GDPR 15-18 or 21, from the privacy centre or logged by staff.

    `due_on` is a month after `received_on` (Art. 12(3)); `extended_to` replaces it once, with
    `extension_reason`. `requester` is the name and address given when no contact is known; erasure
    blanks it with the contact's other details, and the request stays as the record of what was done.
    `handler` and the actions' `actor` are staff ids kept as plain integers, like notes' authors."""

    kind = Varchar(length=16, choices=RequestKind)
    channel = Varchar(length=8, choices=RequestChannel)
    contact = ForeignKey(references=Contact, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    requester = Text(default="")
    identity_check = Text(default="")
    received_on = Date()
    due_on = Date(index=True)
    extended_to = Date(null=True, default=None)
    extension_reason = Text(default="")
    status = Varchar(length=10, choices=RequestStatus, index=True)
    remove_after = Timestamptz(null=True, default=None, index=True)
    handler = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)


class RequestAction(Table):
    """One thing done on a request: an export made, details corrected, a reply sent, ... `detail` is
    what staff wrote about it (what was sent, say); erasure takes the person's details out of it."""

    request = ForeignKey(references=PrivacyRequest, null=False, on_delete=OnDelete.cascade, index=True)
    action = Varchar(length=30)
    detail = Text(default="")
    actor = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


class BreachRisk(StrEnum):
    UNLIKELY = "unlikely"  # unlikely to result in a risk to people: recorded, not reported
    RISK = "risk"  # report to the authority within 72 hours
    HIGH = "high"  # report, and tell the people affected


class Breach(Table):
    """A personal-data breach (GDPR 33-34): found at `found_at`, so the authority must hear of it within
    72 hours of it, unless the risk is unlikely. No customer's details belong here: the people affected
    are named by `BreachNotice` rows."""

    found_at = Timestamptz(index=True)
    what_happened = Text()
    data_involved = Text()
    people_affected = Integer(default=0)
    risk = Varchar(length=10, choices=BreachRisk)
    decision = Varchar(length=20, default="")  # "notify" or "no_notification"; "" while undecided
    decision_reason = Text(default="")
    authority_notified_at = Timestamptz(null=True, default=None)
    recorded_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class BreachNotice(Table):
    """A person told of a breach: the e-mail queued to them is in the outbox. (breach, contact) is
    unique, so nobody is told twice."""

    breach = ForeignKey(references=Breach, null=False, on_delete=OnDelete.cascade, index=True)
    contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.restrict, index=True)
    message = Integer(null=True, default=None)  # the outbox message's id
    sent_by = Integer(null=True, default=None)
    queued_at = Timestamptz(default=TimestamptzNow())

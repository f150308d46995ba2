"""The marketing questions, as every version of them was worded, and the consent ledger."""

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from boxoffice.crm.tables import Contact


class QuestionKind(StrEnum):
    ONLINE = "online"  # asked at online checkout, unticked by default
    BOX_OFFICE = "box_office"  # asked by the operator at a box-office sale


class ConsentQuestion(Table):
    """One version of a marketing question. A new row is added whenever its wording or its on/off switch
    changes and rows are never edited, so the exact words behind every consent stay on record;
    (kind, version) is unique (see the migrations).

    `created_by` is a staff id kept as a plain integer, so history never blocks removing a staff account.
    """

    kind = Varchar(length=16, choices=QuestionKind)
    version = Integer()
    text = Text()
    enabled = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = Integer(null=True, default=None)


class Channel(StrEnum):
    EMAIL = "email"
    POST = "post"
    PHONE = "phone"


class ConsentSource(StrEnum):
    ONLINE_CHECKOUT = "online_checkout"
    BOX_OFFICE = "box_office"
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    STAFF = "staff"
    IMPORT = "import"
    PRIVACY_CENTRE = "privacy_centre"  # the person, signed in to the privacy centre


class ConsentRecord(Table):
    """One change of a contact's consent on one channel; rows are only ever added. A contact's current
    status on a channel is its latest row (by `recorded_at`, then id).

    `wording` is the exact text shown or said when consent was given or withdrawn, and `question` and
    `wording_version` the question version it came from, when it came from one. `actor` is the staff
    member who recorded it (a plain integer, so the ledger never blocks removing a staff account).

    `contact` leads `consent_record_latest` (contact, channel, recorded_at DESC, id DESC), from a
    hand-written migration of this app (Piccolo declares indexes on single columns only): the latest row
    of a contact on a channel, which every audience count and campaign report asks of each contact, is
    then one index probe. `recorded_at` leads `consent_record_month` (recorded_at, channel, source,
    granted), from another: the consent report counts a few months of the ledger from that index alone.
    """

    contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.restrict)
    channel = Varchar(length=8, choices=Channel)
    granted = Boolean()
    source = Varchar(length=20, choices=ConsentSource)
    question = ForeignKey(
        references=ConsentQuestion, null=True, default=None, on_delete=OnDelete.restrict, index=True
    )
    wording = Text()
    wording_version = Integer(null=True, default=None)
    note = Text(default="")
    actor = Integer(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    ip = Varchar(length=45, default="")


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # being written; its audience is counted, nothing is queued
    SENDING = "sending"  # its recipients are fixed and the worker is queueing their messages
    SENT = "sent"  # every recipient's message has been queued (or skipped)
    CANCELLED = "cancelled"  # stopped by staff; recipients not yet queued were skipped


class Campaign(Table):
    """A marketing e-mail to the contacts who opted in, narrowed by the filters staff chose.

    The filters are plain ids (a tag, an event, a performance) rather than foreign keys: deleting the tag
    or event afterwards must neither be blocked by an old campaign nor silently widen a draft's audience
    (a filter naming something that no longer exists matches nobody). `next_release_at` is the worker's
    throttle, kept here so that it holds across restarts and across several workers.
    """

    subject = Varchar(length=200)
    body_markdown = Text(default="")
    status = Varchar(length=16, choices=CampaignStatus, default=CampaignStatus.DRAFT, index=True)
    tag = Integer(null=True, default=None)
    event = Integer(null=True, default=None)
    performance = Integer(null=True, default=None)
    purchased_from = Timestamptz(null=True, default=None)
    purchased_until = Timestamptz(null=True, default=None)  # exclusive
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    send_started_at = Timestamptz(null=True, default=None)
    send_started_by = Integer(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    next_release_at = Timestamptz(null=True, default=None)


class RecipientStatus(StrEnum):
    PENDING = "pending"  # in the audience, message not queued yet
    QUEUED = "queued"  # its message is in the outbox (`message`)
    SKIPPED = "skipped"  # opted out, restricted or removed before its turn, or the campaign was cancelled


class CampaignRecipient(Table):
    """One contact a campaign goes to; (campaign, contact) is unique (see the migrations), so nobody can
    be given the same campaign twice. No address or name is kept here: the address is read from the
    contact when the message is queued, and the outbox row holds it from then on (erasure scrubs it).

    `campaign` leads the unique (campaign, contact) index and the index (campaign, status, id) of
    hand-written migrations of this app: the worker takes a campaign's next pending recipients in id
    order straight from the latter, however many were released before them.
    """

    campaign = ForeignKey(references=Campaign, null=False, on_delete=OnDelete.cascade)
    contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=16, choices=RecipientStatus, default=RecipientStatus.PENDING)
    message = Integer(null=True, default=None)  # the outbox message, once queued
    released_at = Timestamptz(null=True, default=None)
    unsubscribed_at = Timestamptz(null=True, default=None)  # used this campaign's unsubscribe link

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


class ConsentRecord(Table):
    """One change of a contact's consent on one channel; rows are only ever added. A contact's current
    status on a channel is its latest row (by `recorded_at`, then id).

    `wording` is the exact text shown or said when consent was given or withdrawn, and `question` and
    `wording_version` the question version it came from, when it came from one. `actor` is the staff
    member who recorded it (a plain integer, so the ledger never blocks removing a staff account).
    """

    contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.restrict, index=True)
    channel = Varchar(length=8, choices=Channel)
    granted = Boolean()
    source = Varchar(length=20, choices=ConsentSource)
    question = ForeignKey(references=ConsentQuestion, null=True, default=None, on_delete=OnDelete.restrict)
    wording = Text()
    wording_version = Integer(null=True, default=None)
    note = Text(default="")
    actor = Integer(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow(), index=True)
    ip = Varchar(length=45, default="")

"""The people a venue sells to."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Contact(Table):
    """A customer. `email` is kept lower-cased: one person, one contact, however they type it.

    A removed contact keeps its row (orders and consent events point at it, for accounting) with every
    personal field blanked and `erased_at` set. A contact merged into another is removed that way too,
    and `merged_into` names the one it lives on as: an unsubscribe link sent to it reaches that one.

    The contact list's sort orders have indexes of their own, from hand-written migrations of this app
    (Piccolo declares indexes on plain single columns only): `contact_name_order` (LOWER(last_name),
    LOWER(first_name), id) for "by name" and `contact_created_at_id` for "newest", so a page out of
    200,000 contacts is read in order instead of sorted whole."""

    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    email = Varchar(length=254, default="", index=True)
    phone = Varchar(length=40, default="")
    postcode = Varchar(length=16, default="")
    restricted = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    erased_at = Timestamptz(null=True, default=None)
    merged_into = ForeignKey(
        references="self", null=True, default=None, on_delete=OnDelete.restrict, index=True
    )


class ContactNote(Table):
    """A note on a contact, by a staff member. Notes are only ever added; erasure blanks their text.

    `author` is a staff id kept as a plain integer, so notes never block removing a staff account."""

    contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.restrict, index=True)
    author = Integer(null=True, default=None)
    text = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class Tag(Table):
    """A label staff put on contacts, for example "Direct mail" or "Friends scheme"."""

    name = Varchar(length=60, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ContactTag(Table):
    """A tag on a contact; (contact, tag) is unique (see the migrations). Deleting a tag takes it off
    every contact."""

    contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.cascade, index=True)
    tag = ForeignKey(references=Tag, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class DismissedDuplicate(Table):
    """Two contacts that staff said are not one person, so that they are never offered as likely
    duplicates again. Only the two ids are kept, the lower in `contact`; (contact, other_contact) is
    unique (see the migrations). Who said so and when is in the audit log. Removing either contact drops
    the row; merging one into another moves it to the kept one (`crm.duplicates`)."""

    contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.cascade, index=True)
    other_contact = ForeignKey(references=Contact, null=False, on_delete=OnDelete.cascade, index=True)
    dismissed_at = Timestamptz(default=TimestamptzNow())

"""What a venue sets up for its shop: simple settings, and the versioned T&Cs and privacy policy."""

from enum import StrEnum

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SiteSetting(Table):
    """One simple setting, its value kept as text and read through `venue.settings`.

    `updated_by` is a staff id kept as a plain integer rather than a foreign key, so that the settings
    never stand in the way of removing a staff account; the audit log says who changed what.
    """

    key = Varchar(length=80, unique=True)
    value = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


class PolicyKind(StrEnum):
    TERMS = "terms"
    PRIVACY = "privacy"


class PolicyDocument(Table):
    """One published version of the T&Cs or the privacy policy. Rows are only ever added, so an order
    can always show the version its buyer accepted; (kind, version) is unique (see the migrations).

    `body_html` is stored sanitised, and sanitised again when read."""

    kind = Varchar(length=16, choices=PolicyKind)
    version = Integer()
    body_html = Text(default="")
    published_at = Timestamptz(default=TimestamptzNow())
    published_by = Integer(null=True, default=None)

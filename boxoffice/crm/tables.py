"""The people a venue sells to."""

from piccolo.columns import Boolean, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Contact(Table):
    """A customer. `email` is kept lower-cased: one person, one contact, however they type it.

    A removed contact keeps its row (orders and consent events point at it, for accounting) with every
    personal field blanked and `erased_at` set."""

    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    email = Varchar(length=254, default="", index=True)
    phone = Varchar(length=40, default="")
    postcode = Varchar(length=16, default="")
    restricted = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    erased_at = Timestamptz(null=True, default=None)

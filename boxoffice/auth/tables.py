"""Staff accounts, their roles, sessions and login attempts, and the audit log."""

from piccolo.columns import (
    BigInt,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(Table):
    """A named set of permission keys (see `permissions.py`); a top-level key grants its sub-menus."""

    name = Varchar(length=80, unique=True)
    permissions = Text(default="")  # space-separated keys
    requires_totp = Boolean(default=False)
    builtin = Varchar(length=40, null=True, default=None, unique=True)  # key of a built-in role


class StaffUser(Table):
    """Someone who works in the back office.

    `session_epoch` grows whenever the account's sessions must end (deactivation, a role change,
    a two-factor reset): a session remembers the epoch it began in and is refused once it differs.
    """

    email = Varchar(length=254, unique=True)
    name = Varchar(length=120)
    password_hash = Varchar(length=255)
    role = ForeignKey(references=Role, null=False, on_delete=OnDelete.restrict, index=True)
    active = Boolean(default=True)
    suspended = Boolean(default=False)
    failed_attempts = Integer(default=0)
    totp_secret = Text(null=True, default=None)  # encrypted with the SecretBox
    totp_last_step = BigInt(null=True, default=None)
    session_epoch = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class RecoveryCode(Table):
    """A single-use two-factor recovery code, kept only as a keyed digest."""

    user = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade, index=True)
    digest = Varchar(length=64, index=True)
    used_at = Timestamptz(null=True, default=None)


class StaffSession(Table):
    """Litestar's server-side session store. Ids are kept as SHA-256 digests, never as themselves."""

    key = Varchar(length=64, unique=True)
    data = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


class LoginAttempt(Table):
    """One login form submission, counted per address to slow down floods before any hashing."""

    ip = Varchar(length=45, index=True)
    attempted_at = Timestamptz(default=TimestamptzNow(), index=True)


class AuditEntry(Table):
    """Who did what to which object, when and from where. Never holds customers' personal data.

    Besides `at`, the log is indexed by a hand-written migration of this app, since Piccolo declares
    indexes on single columns only: (actor, id) and (action, id) serve the audit log page, which filters
    on one of them and lists the newest first; (object_type, object_id) finds an object's history (an
    order's, or a contact's changes to read or erase)."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = ForeignKey(references=StaffUser, null=True, default=None, on_delete=OnDelete.set_null)
    action = Varchar(length=60)
    object_type = Varchar(length=40, default="")
    object_id = Varchar(length=40, default="")
    ip = Varchar(length=45, default="")
    detail = Text(default="")

"""Bringing a database up to what this version of the code expects."""

from boxoffice.auth.roles import ensure_builtin_roles
from boxoffice.db import migrate


async def prepare_database() -> None:
    """Apply pending migrations, then make sure the rows the code relies on (the built-in roles) exist."""
    await migrate()
    await ensure_builtin_roles()

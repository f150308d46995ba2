"""Path values that no resource could have are answered "not found" before any handler sees them.

One rule for every route, so a route added later is covered too: an id is a 32-bit serial
(`db.LARGEST_ID`), so a larger one, or one below 1, names nothing (and a value past 64 bits could not even
be sent to the database); and no name or token we serve contains a NUL, which file systems and
PostgreSQL refuse, or a part longer than a file name may be.
"""

from __future__ import annotations

from pathlib import PurePath

from litestar import Request
from litestar.exceptions import NotFoundException

from boxoffice.db import LARGEST_ID

LONGEST_FILE_NAME = 255  # bytes, as Linux's file systems allow; our tokens are far shorter


def refuse_impossible_path_values(request: Request) -> None:
    for value in request.path_params.values():
        if isinstance(value, int) and not 1 <= value <= LARGEST_ID:
            raise NotFoundException()
        if isinstance(value, str | PurePath) and impossible_name(str(value)):
            raise NotFoundException()


def impossible_name(text: str) -> bool:
    return "\x00" in text or any(len(part.encode()) > LONGEST_FILE_NAME for part in text.split("/"))

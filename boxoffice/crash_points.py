"""Named moments inside the critical windows of a sale and of sending e-mail, where the crash drills
(tests/drills/) make a process die as a power cut or the kernel's out-of-memory killer would: SIGKILL,
with nothing flushed, rolled back or answered.

`BOXOFFICE_CRASH_AT` names the points to die at (comma-separated) and `BOXOFFICE_CRASH_RECORD` a folder
where each crash is first recorded as a file named after its point, holding the process id; a point whose
file is already there is passed, so each point kills once however many processes reach it, and the
replacement process (uvicorn restarts a dead web worker) carries on. Both are read once, at import; unset,
as in production, a point costs one look-up in an empty set.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

ARMED = frozenset(
    filter(None, (name.strip() for name in os.environ.get("BOXOFFICE_CRASH_AT", "").split(",")))
)
RECORD = Path(os.environ.get("BOXOFFICE_CRASH_RECORD") or ".")


def crash_point(name: str) -> None:
    """Die here, at once, if the drill armed this point and it has not killed a process yet."""
    if name not in ARMED:
        return
    try:
        marker = os.open(RECORD / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.write(marker, str(os.getpid()).encode())
    os.close(marker)
    os.kill(os.getpid(), signal.SIGKILL)

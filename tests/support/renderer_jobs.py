"""Work for a PDF renderer process (`boxoffice.documents.pdf`) that ends it as a crash would: module-level
functions, so that they can be sent there. A renderer killed this way is what the kernel's out-of-memory
killer, or a crash in Pango or HarfBuzz, leaves behind."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def die(*_: object) -> bytes:
    """Kill the renderer running it."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("a killed process runs no further")


def die_the_first_time(marker: str) -> str:
    """Kill the renderer the first time it runs (it leaves `marker` behind); answer the second time."""
    if not Path(marker).exists():
        Path(marker).touch()
        die()
    return "made on the second try"


def renderer_and_engine() -> tuple[int, bool]:
    """The renderer's process id, and whether it has WeasyPrint loaded."""
    return os.getpid(), "weasyprint" in sys.modules

"""The crash points of `boxoffice.crash_points` as a drill drives them: every point is named to the
processes at start, but disarmed (its record file is already there); the drill arms one by removing its
file, and the process that reaches it next writes the file back with its id and dies of SIGKILL."""

from __future__ import annotations

import time
from pathlib import Path

WEB_POINTS = (
    "hold.before_commit",
    "order.before_commit",
    "checkout.order_placed",
    "checkout.session_opened",
    "fulfilment.before_commit",
    "fulfilment.committed",
)
WORKER_POINTS = ("mail.attachment_made", "mail.handed_over")


class CrashPoints:
    def __init__(self, folder: Path, points: tuple[str, ...]) -> None:
        self.folder = folder
        self.points = points
        folder.mkdir(parents=True, exist_ok=True)
        for point in points:
            (folder / point).write_text("disarmed")

    def environment(self) -> dict[str, str]:
        return {"BOXOFFICE_CRASH_AT": ",".join(self.points), "BOXOFFICE_CRASH_RECORD": str(self.folder)}

    def arm(self, point: str) -> None:
        (self.folder / point).unlink()

    def killed(self, point: str, timeout: float = 10.0) -> int | None:
        """The id of the process the point killed since it was armed; None if none has reached it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            path = self.folder / point
            if path.exists() and (text := path.read_text()).isdigit():
                return int(text)
            time.sleep(0.02)
        return None

    def disarm(self, point: str) -> None:
        path = self.folder / point
        if not path.exists():
            path.write_text("disarmed")

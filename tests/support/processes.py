"""The processes of a running `boxoffice serve`, read from /proc (Linux): its web workers, the PDF
renderers they started, what each has loaded and how much memory it holds. For tests and benchmarks."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

WEASYPRINT_LIBRARY = "libpango-1.0"  # mapped into a process as soon as it imports WeasyPrint


@dataclass(frozen=True, slots=True)
class ProcessTable:
    commands: dict[int, str]
    children: dict[int, list[int]]

    @classmethod
    def now(cls) -> ProcessTable:
        commands: dict[int, str] = {}
        children: dict[int, list[int]] = defaultdict(list)
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                parent = re.search(r"^PPid:\s+(\d+)", status.read_text(), re.MULTILINE)
                command = (
                    (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            pid = int(status.parent.name)
            commands[pid] = command
            children[int(parent.group(1))].append(pid)
        return cls(commands, children)

    def web_workers(self, port: int) -> list[int]:
        """The processes that serve requests for the `boxoffice serve` on `port`: uvicorn's workers, the
        children of that process that multiprocessing spawned to serve (its resource tracker, a child
        too, serves nothing); with a single worker, the process itself."""
        servers = [
            pid
            for pid, command in self.commands.items()
            if "serve" in command and f"--port {port}" in command
        ]
        spawned = [
            child
            for server in servers
            for child in self.children[server]
            if "spawn_main" in self.commands[child]
        ]
        return sorted(spawned or servers)

    def descendants(self, pid: int) -> list[int]:
        found, waiting = [], list(self.children[pid])
        while waiting:
            child = waiting.pop()
            found.append(child)
            waiting += self.children[child]
        return sorted(found)

    def pdf_renderers(self, worker: int) -> list[int]:
        """The PDF renderers a process started (`boxoffice.documents.pdf`): the children of its
        multiprocessing forkserver."""
        return sorted(
            renderer
            for child in self.children[worker]
            if "forkserver" in self.commands[child]
            for renderer in self.children[child]
        )


def resident_kib(pid: int) -> int:
    """The process's resident memory (VmRSS), in KiB; 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def maps_library(pid: int, library: str) -> bool:
    """Whether the process has `library` (part of a shared object's file name) mapped into its memory."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def alive(pid: int) -> bool:
    """Whether the process is there and not a zombie waiting for its parent to reap it."""
    try:
        state = re.search(r"^State:\s+(\S)", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    except OSError:
        return False
    return bool(state) and state.group(1) != "Z"


def gone_within(pid: int, seconds: float = 15.0) -> bool:
    """Whether the process has ended (or was never there) within `seconds`."""
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True

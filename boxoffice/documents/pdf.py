"""PDFs from our own HTML (ticket PDFs, a contact's access export), rendered by WeasyPrint in renderer
processes, loading nothing but our own files.

WeasyPrint, with the Pango, HarfBuzz and fontconfig libraries it loads, adds some 30 MB to a process,
and laying documents out grows the heap by as much again, which Python never hands back (a 500-ticket
batch leaves over 100 MB). So a process that wants PDFs (a web worker, `boxoffice worker`) never loads
WeasyPrint itself: it keeps a small pool of renderer processes (`RendererPool`), started when the first
document is asked for and stopped with it (`close_renderer`, from the app's lifespan). Renderers are
forked from a forkserver that has imported WeasyPrint already, so a new one is ready in milliseconds:

- one that dies (killed, out of memory, a crash in a C library) takes down what its pool was making,
  which is tried once more on new renderers; what fails again raises `RendererFailed`, which pages
  answer with an error page, and the next document starts afresh;
- one that has grown past `RENDERER_MEMORY_LIMIT_KIB` is replaced once its work is done;
- on Linux each ends with the process that started it, so none outlives a web worker that was killed
  (and the forkserver ends with the last of them).

What is sent to a renderer is a function and plain values (pickled): the renderer needs no database,
settings or keys. `render_pdf_now` is what runs there, and what tests and benchmarks call in-process.

Documents name files under assets/ as `boxoffice-asset:<path>` and the images made for them (QR codes)
as `boxoffice-image:<index>`; any other URL, one smuggled in through a buyer's name say, is refused
before a connection is made (see `pdf_engine.DocumentFetcher`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import resource
import select
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

Made = TypeVar("Made")
log = logging.getLogger(__name__)

# Renderers one process keeps at most: the second starts only when two documents are wanted at once.
RENDERER_PROCESSES = 2
# A renderer whose peak memory has passed this is replaced after its document: one is near 75 MB after
# orders of ten tickets, and past 150 MB, which it would keep, after a batch of 500.
RENDERER_MEMORY_LIMIT_KIB = 128 * 1024
ATTEMPTS = 2  # a document whose renderer ended is tried once more, on a new one
ENGINE_MODULE = "boxoffice.documents.pdf_engine"  # what the forkserver imports once, for every renderer


class RendererFailed(Exception):
    """The renderer process ended while it was making the document. Nothing was made; the next document
    starts a new renderer, so trying again works."""


def render_pdf_now(
    html: str,
    *,
    stylesheet: Path | None = None,
    images: Sequence[bytes] = (),
    user_agent_styles: bool = True,
) -> bytes:
    """The PDF of `html` (with `stylesheet` and the PNG `images` it names), rendered in this process.
    Without `user_agent_styles`, `stylesheet` alone styles the document (see `pdf_engine.OwnStylesHTML`)."""
    from boxoffice.documents import pdf_engine

    return pdf_engine.thread_renderer(stylesheet, user_agent_styles=user_agent_styles).render(html, images)


def start_renderer(owner: int) -> None:
    """Runs first in each renderer: have it end when `owner`, the process that started it, ends, however
    that happens (a web worker that is killed shuts nothing down, and a renderer waiting for work would
    wait for ever). Linux tells a watching thread through a pidfd; elsewhere nothing watches."""
    if not hasattr(os, "pidfd_open"):
        return
    try:
        owner_ended = os.pidfd_open(owner)
    except ProcessLookupError:  # it has ended already
        os._exit(0)
    except OSError:  # a kernel older than Linux 5.3: nothing watches
        return
    threading.Thread(target=exit_when_ready, args=(owner_ended,), name="owner-watch", daemon=True).start()


def exit_when_ready(descriptor: int) -> None:
    select.select([descriptor], [], [])
    os._exit(0)


def made_in_renderer(make: Callable[..., Made], arguments: tuple[Any, ...]) -> tuple[Made, int]:
    """What `make` makes of `arguments`, with the renderer's peak memory so far, in KiB."""
    return make(*arguments), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class RendererPool:
    """One process's renderer processes: started on first use, replaced when one dies or grows too big.

    Used from one event loop thread at a time, as a web worker and `boxoffice worker` do; the work runs
    in the renderers, and the event loop only waits for it."""

    def __init__(self, processes: int = RENDERER_PROCESSES) -> None:
        self.processes = processes
        self.executor: ProcessPoolExecutor | None = None

    def current(self) -> ProcessPoolExecutor:
        if self.executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([ENGINE_MODULE])
            self.executor = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=start_renderer, initargs=(os.getpid(),)
            )
        return self.executor

    def retire(self, executor: ProcessPoolExecutor) -> None:
        """Give `executor` no more work; its renderers finish what they were given, then exit."""
        if self.executor is executor:
            self.executor = None
        executor.shutdown(wait=False)

    async def run(self, make: Callable[..., Made], *arguments: Any) -> Made:
        """`make(*arguments)`, run in a renderer. `make` must be a module-level function and `arguments`
        plain values, so that they can be sent there.

        When a renderer ends, every document its pool was making fails with it; each is tried once more
        on new renderers (rendering changes nothing, so trying again is safe), and RendererFailed is
        raised if that one ends too: a document that crashes its renderer crashes the next one as well."""
        attempt = 1
        while True:
            executor = self.current()
            try:
                made, peak_kib = await asyncio.wrap_future(executor.submit(made_in_renderer, make, arguments))
            except BrokenProcessPool as error:
                self.retire(executor)
                if attempt == ATTEMPTS:
                    raise RendererFailed("the PDF renderer stopped while making the document") from error
                attempt += 1
                log.warning("a PDF renderer stopped; trying again with a new one")
                continue
            if peak_kib > RENDERER_MEMORY_LIMIT_KIB:
                self.retire(executor)
            return made

    async def close(self) -> None:
        """Stop the renderers, dropping documents not yet begun; the next document starts new ones."""
        executor, self.executor = self.executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)


RENDERERS = RendererPool()


async def run_in_renderer(make: Callable[..., Made], *arguments: Any) -> Made:
    """`make(*arguments)`, run in one of this process's renderers (see `RendererPool.run`)."""
    return await RENDERERS.run(make, *arguments)


async def render_pdf(html: str, *, stylesheet: Path | None = None, images: Sequence[bytes] = ()) -> bytes:
    """The PDF of `html`, rendered in a renderer process."""
    return await run_in_renderer(
        functools.partial(render_pdf_now, stylesheet=stylesheet, images=images), html
    )


async def close_renderer() -> None:
    """Stop this process's renderers, if it started any: with the app, and with `boxoffice worker`."""
    await RENDERERS.close()

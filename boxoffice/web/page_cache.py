"""Public pages kept for a moment in each worker: in an on-sale rush thousands of visitors read the same
listing, and a second-old "available" is harmless because seats are only ever taken by the hold's
conditional update, which sees the truth.

Only the rendered body is kept, never a response: cookies, security headers and everything else made for
one request are added to each answer as it goes out, so nothing of one visitor's reaches another. When a
kept page expires, the first request to find it so renders it again while everyone else is served the
copy it replaces (stale-while-revalidate): an expiry costs one rendering, not one per waiting visitor.
A page no one has yet is rendered once however many ask for it at the same moment.

What is kept stays bounded however many addresses visitors make up: at most `PAGES_KEPT` pages and
`BYTES_KEPT` bytes in all, the least recently read going first. Callers key pages by what they show
(filters as read, not the address as typed), so addresses that mean the same share one copy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

logger = logging.getLogger("boxoffice.web")

PAGES_KEPT = 256  # the home page, its busiest filters and event pages; the least recently read go first
BYTES_KEPT = 16 * 1024 * 1024  # and no more than this in all, whatever the pages weigh


@dataclass(frozen=True, slots=True)
class KeptPage:
    body: bytes
    fresh_until: float  # on the monotonic clock


class PageCache:
    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._pages: OrderedDict[Hashable, KeptPage] = OrderedDict()
        self._bytes = 0  # the bodies of _pages, added up
        self._renderings: dict[Hashable, asyncio.Task[bytes]] = {}

    async def page(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        """The body kept under `key`, rendered by `render` when there is none or it has expired. An
        exception from `render` (a page that does not exist, say) reaches the callers waiting for it and
        keeps nothing."""
        if self.seconds <= 0:
            return await render()
        kept = self._pages.get(key)
        if kept is not None:
            self._pages.move_to_end(key)
            if self._clock() < kept.fresh_until:
                return kept.body
        rendering = self._renderings.get(key)
        if rendering is None:
            rendering = self._renderings[key] = asyncio.ensure_future(self._render(key, render))
            rendering.add_done_callback(self._log_failure)
        if kept is not None:
            return kept.body
        return await asyncio.shield(rendering)

    async def _render(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        try:
            body = await render()
        except BaseException:
            self._forget(key)  # a page gone (an event withdrawn, say) is not served from here
            raise
        finally:
            del self._renderings[key]
        self._forget(key)
        self._pages[key] = KeptPage(body, self._clock() + self.seconds)
        self._bytes += len(body)
        while len(self._pages) > PAGES_KEPT or self._bytes > BYTES_KEPT:
            self._forget(next(iter(self._pages)))
        return body

    def _forget(self, key: Hashable) -> None:
        kept = self._pages.pop(key, None)
        if kept is not None:
            self._bytes -= len(kept.body)

    @property
    def size(self) -> tuple[int, int]:
        """(pages, bytes) kept now."""
        return len(self._pages), self._bytes

    @staticmethod
    def _log_failure(rendering: asyncio.Task[bytes]) -> None:
        """A rendering whose visitors were served the previous copy has no one else to report to."""
        if not rendering.cancelled() and (error := rendering.exception()) is not None:
            logger.debug("a kept page was not rendered again: %r", error)

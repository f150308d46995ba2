"""A kept page is rendered once however many ask for it, and an expiry costs one rendering while the
others are served the copy it replaces."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice.web import page_cache
from boxoffice.web.page_cache import PageCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Renderer:
    """Counts its renderings; each waits for `release` so that callers pile up behind it."""

    def __init__(self) -> None:
        self.count = 0
        self.release = asyncio.Event()

    async def __call__(self) -> bytes:
        self.count += 1
        await self.release.wait()
        return f"version {self.count}".encode()


async def test_many_visitors_of_a_page_no_one_has_yet_cause_one_rendering():
    cache, render = PageCache(1), Renderer()

    waiting = [asyncio.ensure_future(cache.page("home", render)) for _ in range(50)]
    await asyncio.sleep(0)
    render.release.set()

    assert await asyncio.gather(*waiting) == [b"version 1"] * 50
    assert render.count == 1


async def test_at_expiry_one_visitor_renders_and_the_others_get_the_previous_copy_at_once():
    clock = Clock()
    cache, render = PageCache(1, clock=clock), Renderer()
    render.release.set()
    assert await cache.page("home", render) == b"version 1"
    clock.now += 1.5
    render.release.clear()

    served = await asyncio.gather(*(cache.page("home", render) for _ in range(50)))

    assert served == [b"version 1"] * 50  # nobody waited for the rendering
    assert render.count == 2
    render.release.set()
    await asyncio.sleep(0)
    assert await cache.page("home", render) == b"version 2"
    assert render.count == 2


async def test_a_fresh_page_is_not_rendered_again():
    clock = Clock()
    cache, render = PageCache(1, clock=clock), Renderer()
    render.release.set()
    await cache.page("home", render)
    clock.now += 0.9

    assert await cache.page("home", render) == b"version 1"
    assert render.count == 1


async def test_a_page_that_is_gone_when_rendered_again_is_served_no_more():
    clock = Clock()
    cache, render = PageCache(1, clock=clock), Renderer()
    render.release.set()
    await cache.page(("event", "tempest"), render)
    clock.now += 2

    async def withdrawn() -> bytes:
        raise LookupError("withdrawn")

    assert await cache.page(("event", "tempest"), withdrawn) == b"version 1"  # served while it renders
    await asyncio.sleep(0)
    with pytest.raises(LookupError):
        await cache.page(("event", "tempest"), withdrawn)


async def test_with_no_time_to_keep_every_visit_renders():
    cache, render = PageCache(0), Renderer()
    render.release.set()

    await cache.page("home", render)
    await cache.page("home", render)

    assert render.count == 2


async def test_what_is_kept_stays_within_its_count_and_bytes_however_many_pages_are_asked_for(monkeypatch):
    monkeypatch.setattr(page_cache, "BYTES_KEPT", 10_000)
    cache = PageCache(60)

    async def small() -> bytes:
        return b"x" * 10

    async def large() -> bytes:
        return b"y" * 3_000

    for n in range(page_cache.PAGES_KEPT + 50):
        await cache.page(("day", n), small)
    assert cache.size == (page_cache.PAGES_KEPT, page_cache.PAGES_KEPT * 10)

    for n in range(10):
        await cache.page(("event", n), large)
    _, kept_bytes = cache.size
    assert kept_bytes <= 10_000
    assert await cache.page(("event", 9), small) == b"y" * 3_000  # the latest is kept
    assert await cache.page(("event", 0), small) == b"x" * 10  # the oldest large one went


async def test_a_page_larger_than_the_whole_budget_is_served_but_not_kept(monkeypatch):
    monkeypatch.setattr(page_cache, "BYTES_KEPT", 100)
    cache = PageCache(60)

    async def huge() -> bytes:
        return b"z" * 1_000

    assert await cache.page("huge", huge) == b"z" * 1_000
    assert cache.size == (0, 0)

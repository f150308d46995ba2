"""The renderer processes PDFs are made in: started on first use, made again when one dies or has grown
too big, stopped on request; what a document that kills its renderer gets."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import AsyncIterator

import pytest
from pypdf import PdfReader

from boxoffice.documents import pdf
from boxoffice.documents.pdf import RendererFailed, RendererPool, render_pdf, run_in_renderer
from tests.support.processes import gone_within
from tests.support.renderer_jobs import die, die_the_first_time, renderer_and_engine


@pytest.fixture
async def renderers(monkeypatch) -> AsyncIterator[RendererPool]:
    """This test's own renderer, one, so that which process serves a document is certain; stopped after it."""
    pool = RendererPool(processes=1)
    monkeypatch.setattr(pdf, "RENDERERS", pool)
    yield pool
    await pool.close()


async def test_documents_are_made_in_a_renderer_that_has_weasyprint_loaded_already(renderers):
    assert renderers.executor is None  # nothing starts before the first document

    renderer, engine_loaded = await run_in_renderer(renderer_and_engine)
    content = await render_pdf("<h1>Tickets</h1><p>Two for Friday</p>")

    assert renderer != os.getpid() and engine_loaded  # the forkserver imported it for every renderer
    assert "Two for Friday" in PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert (await run_in_renderer(renderer_and_engine))[0] == renderer  # one renderer serves one by one


async def test_a_document_that_kills_its_renderer_fails_and_the_next_one_is_made(renderers):
    with pytest.raises(RendererFailed):
        await run_in_renderer(die)

    assert await run_in_renderer(len, b"tickets") == 7


async def test_a_document_whose_renderer_was_killed_under_it_is_made_again_by_a_new_one(renderers, tmp_path):
    assert await run_in_renderer(die_the_first_time, str(tmp_path / "died")) == "made on the second try"


async def test_a_renderer_killed_while_it_waits_is_replaced_without_a_failure(renderers):
    renderer, _ = await run_in_renderer(renderer_and_engine)
    os.kill(renderer, signal.SIGKILL)
    assert gone_within(renderer)

    replacement, _ = await run_in_renderer(renderer_and_engine)

    assert replacement != renderer


async def test_a_renderer_grown_past_the_memory_limit_is_replaced_after_its_document(renderers, monkeypatch):
    monkeypatch.setattr(pdf, "RENDERER_MEMORY_LIMIT_KIB", 0)
    first, _ = await run_in_renderer(renderer_and_engine)
    assert renderers.executor is None  # retired once its document was made

    second, _ = await run_in_renderer(renderer_and_engine)

    assert second != first and gone_within(first)


async def test_closing_stops_the_renderers(renderers):
    renderer, _ = await run_in_renderer(renderer_and_engine)

    await renderers.close()

    assert gone_within(renderer)
    assert (await run_in_renderer(renderer_and_engine))[0] != renderer  # the next document starts afresh

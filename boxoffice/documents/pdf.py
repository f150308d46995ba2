"""PDFs from our own HTML (ticket PDFs, a contact's access export), rendered by WeasyPrint off the event
loop, loading nothing but our own files.

WeasyPrint, and the Pango, HarfBuzz and fontconfig libraries it loads, add some 40 MB to a process, so
`boxoffice.documents.pdf_engine` is imported on the first rendering, in a rendering thread: a web worker that
never renders a PDF never pays for it.

Documents name files under assets/ as `boxoffice-asset:<path>` and the images made for them (QR codes)
as `boxoffice-image:<index>`; any other URL, one smuggled in through a buyer's name say, is refused
before a connection is made (see `pdf_engine.DocumentFetcher`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RENDERING_THREADS = 2
RENDERING_POOL = ThreadPoolExecutor(max_workers=RENDERING_THREADS, thread_name_prefix="pdf")


def render_pdf_now(html: str, *, stylesheet: Path | None = None, images: Sequence[bytes] = ()) -> bytes:
    """The PDF of `html` (with `stylesheet` and the PNG `images` it names), rendered on this thread."""
    from boxoffice.documents import pdf_engine

    return pdf_engine.thread_renderer(stylesheet).render(html, images)


async def render_pdf(html: str, *, stylesheet: Path | None = None, images: Sequence[bytes] = ()) -> bytes:
    """The PDF of `html`, rendered in the rendering threads, off the event loop."""
    work = functools.partial(render_pdf_now, html, stylesheet=stylesheet, images=images)
    return await asyncio.get_running_loop().run_in_executor(RENDERING_POOL, work)

"""WeasyPrint, kept to its own files: what `boxoffice.documents.pdf` runs in its renderer processes.

Each thread keeps one `Renderer` per stylesheet (a font configuration and the stylesheet parsed with it);
WeasyPrint's are not shared between threads. Fonts are subset with HarfBuzz (Debian's
libharfbuzz-subset0), which is many times faster than fontTools.

A document whose stylesheet says everything about it can leave out WeasyPrint's user-agent stylesheet
(`OwnStylesHTML`): matching its 250 rules against every element and every page is a fifth of the time a
ticket takes to render.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from boxoffice.documents.paths import ASSETS_DIR
from boxoffice.documents.pdf_urls import ASSET_SCHEME, image_url


class RefusedURL(ValueError):
    """WeasyPrint asked for something that is neither one of our asset files nor the document's images."""


class AssetFetcher(URLFetcher):
    """Serves files under `root` for `boxoffice-asset:<relative path>` URLs, and refuses every other URL."""

    def __init__(self, root: Path = ASSETS_DIR) -> None:
        super().__init__(allowed_protocols=())
        self.root = root.resolve()

    def asset_path(self, url: str) -> Path:
        if not url.startswith(ASSET_SCHEME):
            raise RefusedURL(f"only our own assets are loaded, not {url[:100]!r}")
        relative = unquote(url.removeprefix(ASSET_SCHEME).split("?")[0].split("#")[0])
        if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
            raise RefusedURL(f"not an asset path: {url[:100]!r}")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise RefusedURL(f"no such asset: {url[:100]!r}")
        return path

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = self.asset_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


class DocumentFetcher(AssetFetcher):
    """An `AssetFetcher` that also serves the PNG images made for one document."""

    def __init__(self, images: Sequence[bytes]) -> None:
        super().__init__()
        self.images = {image_url(index): png for index, png in enumerate(images)}

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url in self.images:
            return URLFetcherResponse(url, self.images[url], {"Content-Type": "image/png"})
        return super().fetch(url, headers)


class OwnStylesHTML(HTML):
    """A document styled by its own stylesheet alone, without WeasyPrint's user-agent stylesheet: every
    element is inline and shown until that stylesheet says otherwise (`head` too).

    WeasyPrint (pinned in pyproject.toml) asks the document for its user-agent stylesheets through this
    method; tests/unit/documents/test_pdf_engine.py checks that it still does."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return []


class Renderer:
    """One thread's WeasyPrint state for one stylesheet."""

    def __init__(self, stylesheet: Path | None, *, user_agent_styles: bool = True) -> None:
        self.document_class = HTML if user_agent_styles else OwnStylesHTML
        self.font_config = FontConfiguration()
        self.stylesheets = (
            [
                CSS(
                    string=stylesheet.read_text(encoding="utf-8"),
                    base_url=ASSET_SCHEME,
                    url_fetcher=AssetFetcher(),
                    font_config=self.font_config,
                )
            ]
            if stylesheet
            else []
        )

    def layout(self, html: str, images: Sequence[bytes] = ()) -> Document:
        document = self.document_class(
            string=html, base_url=ASSET_SCHEME, url_fetcher=DocumentFetcher(images)
        )
        return document.render(stylesheets=self.stylesheets, font_config=self.font_config)

    def render(self, html: str, images: Sequence[bytes] = ()) -> bytes:
        return self.layout(html, images).write_pdf()


_thread_state = threading.local()


def thread_renderer(stylesheet: Path | None = None, *, user_agent_styles: bool = True) -> Renderer:
    renderers: dict[tuple[Path | None, bool], Renderer] = _thread_state.__dict__.setdefault("renderers", {})
    key = (stylesheet, user_agent_styles)
    if key not in renderers:
        renderers[key] = Renderer(stylesheet, user_agent_styles=user_agent_styles)
    return renderers[key]

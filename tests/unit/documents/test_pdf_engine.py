"""Documents styled by their own stylesheet alone: WeasyPrint's user-agent stylesheet is left out."""

from __future__ import annotations

import io

import weasyprint
from pypdf import PdfReader

from boxoffice.documents.pdf import render_pdf_now
from boxoffice.tickets.printing import STYLESHEET

PAGE = "<html><head><title>Hidden title</title></head><body><h1>The Tempest</h1><p>Row F</p></body></html>"


def text_of(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_weasyprint_still_asks_the_document_for_its_user_agent_stylesheets():
    assert callable(vars(weasyprint.HTML).get("_ua_stylesheets"))  # what OwnStylesHTML overrides


def test_without_the_user_agent_stylesheet_only_our_own_styles_apply():
    bare = render_pdf_now(PAGE, user_agent_styles=False)
    ours = render_pdf_now(PAGE, stylesheet=STYLESHEET, user_agent_styles=False)

    assert "Hidden title" in text_of(bare)  # nothing hides <head> but a stylesheet
    assert "Hidden title" not in text_of(ours) and "The Tempest" in text_of(ours)

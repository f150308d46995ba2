"""How documents name what they load: our asset files, and the images made for one document (QR codes).
Kept apart from `pdf` and `pdf_engine` so that both read it and neither imports the other at load."""

from __future__ import annotations

ASSET_SCHEME = "boxoffice-asset:"  # boxoffice-asset:fonts/DejaVuSans.ttf is assets/fonts/DejaVuSans.ttf
IMAGE_SCHEME = "boxoffice-image:"  # boxoffice-image:3 is the fourth image made for the document


def image_url(index: int) -> str:
    return f"{IMAGE_SCHEME}{index}"

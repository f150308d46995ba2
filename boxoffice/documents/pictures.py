"""Pictures staff upload (the venue's logo, an image per event), made safe to serve to everyone.

An upload is never served as it came: it must decode as one of the few kinds of image browsers show
(JPEG, PNG, WebP, GIF), named with its kind's extension, within a size and pixel budget (a small file can
declare a huge canvas: a decompression bomb). It is then decoded with Pillow and re-encoded as WebP at a
few widths. Re-encoding drops whatever rode along in the file (EXIF with a phone's GPS position, scripts
in a polyglot file, trailing bytes) and makes the widths a page's `srcset` offers. Pillow is loaded on
the first upload, in the process that takes it, like the PDF renderer's imports.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from boxoffice.errors import Refused

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo decodes to ~160 MB; more is not a photo worth serving
WIDTHS = (320, 640, 1280)  # what `srcset` offers: a phone's card, a wide card or a phone's 2x, a desktop
WEBP_QUALITY = 82
EXTENSIONS = {
    "JPEG": (".jpg", ".jpeg"),
    "PNG": (".png",),
    "WEBP": (".webp",),
    "GIF": (".gif",),
}
KINDS = "JPEG, PNG, WebP or GIF"


class PictureRefused(Refused):
    """The upload was not taken; the message says why, for the person who chose the file."""


@dataclass(frozen=True, slots=True)
class PreparedPicture:
    """A picture ready to store: its WebP renditions by width (none wider than the original), and a digest
    of them, which names the picture in its address, so the address changes whenever the picture does
    and browsers may keep it for a year."""

    width: int
    height: int
    renditions: tuple[tuple[int, bytes], ...]
    digest: str


def extension_of(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    return name[name.rfind(".") :] if "." in name else ""


def prepare_picture(content: bytes, filename: str, *, field: str) -> PreparedPicture:
    """The upload as WebP renditions, or PictureRefused (about `field`). CPU-bound: run it in a thread."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not content:
        raise PictureRefused("The file is empty. Choose a picture.", field)
    if len(content) > MAX_UPLOAD_BYTES:
        raise PictureRefused(
            f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Choose a smaller picture.",
            field,
        )
    extension = extension_of(filename)
    if not any(extension in names for names in EXTENSIONS.values()):
        raise PictureRefused(f"Choose a {KINDS} picture (a file ending .jpg, .png, .webp or .gif).", field)
    try:
        with Image.open(io.BytesIO(content), formats=list(EXTENSIONS)) as image:
            kind = image.format or ""
            if image.width * image.height > MAX_PIXELS:
                raise PictureRefused(
                    "The picture has too many pixels to show on a web page. Make it smaller first.", field
                )
            if extension not in EXTENSIONS.get(kind, ()):
                raise PictureRefused(
                    f"The file is named {extension} but holds a {kind} picture. "
                    "Rename it, or save it again as the kind of file its name says.",
                    field,
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as bad:
        raise PictureRefused(
            f"The file is not a picture we can read. Choose a {KINDS} picture.", field
        ) from bad
    mode = "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    upright = upright.convert(mode)
    renditions = []
    for width in sorted({min(width, upright.width) for width in WIDTHS}):
        height = max(1, round(upright.height * width / upright.width))
        resized = upright if width == upright.width else upright.resize((width, height), Image.LANCZOS)
        output = io.BytesIO()
        resized.save(output, "WEBP", quality=WEBP_QUALITY, method=4)
        renditions.append((width, output.getvalue()))
    digest = hashlib.sha256(b"".join(data for _, data in renditions)).hexdigest()[:32]
    return PreparedPicture(upright.width, upright.height, tuple(renditions), digest)

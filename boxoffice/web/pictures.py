"""Reading a picture upload from a multipart form, for the pages where staff set one.

The body may be larger than the picture allowed (`documents.pictures.MAX_UPLOAD_BYTES`), so that a
too-large photo is answered on its form with what is wrong, rather than by an error page; Litestar keeps
uploads above a megabyte in a temporary file, not in memory. Decoding runs in a thread: a large picture
takes a CPU-second that the event loop must not wait for."""

from __future__ import annotations

import asyncio

from litestar.datastructures import FormMultiDict, UploadFile

from boxoffice.documents.pictures import MAX_UPLOAD_BYTES, PreparedPicture, prepare_picture

MOST_PICTURE_FORM_BYTES = 40 * 1024 * 1024  # the route's body limit; beyond it, the 413 error page


def posted_text(form: FormMultiDict, field: str) -> str:
    value = form.get(field)
    return value if isinstance(value, str) else ""


async def posted_picture(form: FormMultiDict, field: str) -> PreparedPicture | None:
    """The picture posted in `field`, prepared, or None when no file was chosen. Raises `PictureRefused`
    for a file that is not a picture we take."""
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        return None
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    if not content and not upload.filename:
        return None  # the file field left empty
    return await asyncio.to_thread(prepare_picture, content, upload.filename or "", field=field)

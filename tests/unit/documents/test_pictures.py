"""Preparing uploaded pictures: what survives re-encoding (transparency, which way up) and what does not."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from boxoffice.documents.pictures import PictureRefused, extension_of, prepare_picture


def encoded(image: Image.Image, kind: str, **save: object) -> bytes:
    output = io.BytesIO()
    image.save(output, kind, **save)
    return output.getvalue()


def test_a_transparent_logo_stays_transparent():
    logo = Image.new("RGBA", (400, 100), (0, 0, 0, 0))
    logo.paste((200, 30, 30, 255), (0, 0, 100, 100))

    prepared = prepare_picture(encoded(logo, "PNG"), "logo.png", field="logo")

    with Image.open(io.BytesIO(dict(prepared.renditions)[320])) as image:
        assert image.mode == "RGBA" and image.getpixel((300, 40))[3] == 0


def test_a_photo_taken_sideways_is_turned_the_way_the_camera_said():
    photo = Image.new("RGB", (800, 400), (10, 120, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show

    prepared = prepare_picture(encoded(photo, "JPEG", exif=exif), "photo.jpeg", field="picture")

    assert (prepared.width, prepared.height) == (400, 800)
    assert [width for width, _ in prepared.renditions] == [320, 400]


def test_the_same_picture_gets_the_same_digest_and_another_a_new_one():
    red = encoded(Image.new("RGB", (500, 300), (200, 0, 0)), "PNG")
    blue = encoded(Image.new("RGB", (500, 300), (0, 0, 200)), "PNG")

    first, again, other = (prepare_picture(content, "a.png", field="f") for content in (red, red, blue))

    assert first.digest == again.digest != other.digest


@pytest.mark.parametrize(
    ("filename", "extension"),
    [("a.PNG", ".png"), ("C:\\photos\\b.Jpeg", ".jpeg"), ("noextension", ""), ("dir.v2/file", "")],
)
def test_the_extension_is_read_from_the_files_own_name(filename, extension):
    assert extension_of(filename) == extension


def test_a_refusal_names_the_field():
    with pytest.raises(PictureRefused) as refused:
        prepare_picture(b"", "a.png", field="logo")
    assert refused.value.field == "logo"

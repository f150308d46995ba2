"""Pictures staff upload (an event's in Events, the logo in Settings > Storefront): re-encoded, resized,
served from our own address with a year's caching, shown with srcset and the words staff wrote, and
anything that is not a picture we take refused on the form, changing nothing."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image

from boxoffice.auth.tables import AuditEntry
from boxoffice.sales.tables import Event, Picture, PictureRendition
from boxoffice.venue.settings import name_the_house
from tests.support.catalog import make_event, make_performance, make_venue
from tests.support.staff import csrf_token, make_staff, sign_in

SHOW_TIME = datetime(2030, 3, 14, 19, 30, tzinfo=UTC)
ALT = "The cast on stage in Act 2"


def picture_bytes(kind: str = "PNG", size: tuple[int, int] = (1600, 900), **save: object) -> bytes:
    image = Image.new("RGB", size, (200, 40, 60))
    output = io.BytesIO()
    image.save(output, kind, **save)
    return output.getvalue()


async def upload(
    client: httpx.AsyncClient, path: str, form_page: str, files: dict, data: dict
) -> httpx.Response:
    token = await csrf_token(client, form_page)
    return await client.post(path, data={**data, "_csrf_token": token}, files=files)


@pytest.fixture
async def event(database) -> Event:
    event = await make_event(await make_venue(), "the-tempest", "The Tempest")
    await make_performance(event, SHOW_TIME, {"Adult": 2400})
    return event


@pytest.fixture
async def admin(client) -> httpx.AsyncClient:
    await sign_in(client, await make_staff("admin"))
    return client


async def upload_event_picture(
    client: httpx.AsyncClient, event_id: int, content: bytes, filename: str = "stage.png", alt: str = ALT
) -> httpx.Response:
    return await upload(
        client,
        f"/backoffice/events/{event_id}/picture",
        f"/backoffice/events/{event_id}",
        {"picture": (filename, content, "application/octet-stream")},
        {"picture_alt": alt},
    )


async def test_an_event_picture_is_resized_served_for_a_year_and_shown_with_srcset_and_alt(admin, event):
    response = await upload_event_picture(admin, event.id, picture_bytes("PNG", (1600, 900)))

    assert response.status_code == 303 and response.headers["location"].endswith("done=picture")
    picture = await Picture.select().first()
    assert picture["widths"] == "320 640 1280" and (picture["width"], picture["height"]) == (1600, 900)
    served = await admin.get(f"/assets/pictures/{picture['digest']}/640")
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert "max-age=31536000" in served.headers["cache-control"]
    assert "immutable" in served.headers["cache-control"]
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "WEBP" and image.size == (640, 360)

    srcset = ", ".join(f"/assets/pictures/{picture['digest']}/{width} {width}w" for width in (320, 640, 1280))
    for page in ("/", "/events/the-tempest"):
        html = (await admin.get(page)).text
        assert f'srcset="{srcset}"' in html and f'alt="{ALT}"' in html
    assert await AuditEntry.count().where(AuditEntry.action == "event.picture_set") == 1


async def test_what_rode_along_in_a_photo_is_not_served(admin, event):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 27.0, 0.0)}  # GPS
    content = picture_bytes("JPEG", (800, 600), exif=exif) + b"<script>alert(1)</script>"

    assert (await upload_event_picture(admin, event.id, content, "photo.JPG")).status_code == 303

    picture = await Picture.select().first()
    assert picture["widths"] == "320 640 800"
    for row in await PictureRendition.select(PictureRendition.content):
        content = bytes(row["content"])
        assert b"PhoneMaker" not in content and b"<script>" not in content
        with Image.open(io.BytesIO(content)) as image:
            assert image.format == "WEBP" and not image.getexif()


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("empty.png", b"", "The file is empty"),
        ("notes.png", b"just some words, not a picture", "not a picture we can read"),
        ("stage.txt", picture_bytes("PNG", (400, 300)), "Choose a JPEG, PNG, WebP or GIF picture"),
        ("stage", picture_bytes("PNG", (400, 300)), "Choose a JPEG, PNG, WebP or GIF picture"),
        ("stage.jpg", picture_bytes("PNG", (400, 300)), "named .jpg but holds a PNG picture"),
        ("huge.jpg", b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), "larger than 5 MB"),
        ("bomb.png", picture_bytes("PNG", (9000, 5000)), "too many pixels"),
        ("stage.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "Choose a JPEG"),
    ],
)
async def test_a_file_that_is_not_a_picture_we_take_is_refused_on_the_form(
    admin, event, filename, content, message
):
    response = await upload_event_picture(admin, event.id, content, filename)

    assert response.status_code == 400 and message in response.text
    assert 'class="error-summary"' in response.text and 'aria-invalid="true"' in response.text
    assert f'value="{ALT}"' in response.text  # what was typed is kept
    assert await Picture.count() == 0
    assert (await Event.select(Event.picture).first())["picture"] is None
    assert await AuditEntry.count().where(AuditEntry.action == "event.picture_set") == 0


async def test_a_body_past_the_routes_limit_gets_the_too_large_page_and_changes_nothing(admin, event):
    response = await upload_event_picture(admin, event.id, b"\0" * (41 * 1024 * 1024), "huge.png")

    assert response.status_code == 413 and "That file is too large" in response.text
    assert await Picture.count() == 0


async def test_a_picture_needs_words_for_people_who_cannot_see_it(admin, event):
    response = await upload_event_picture(admin, event.id, picture_bytes(), alt="   ")

    assert response.status_code == 400 and "Describe the picture" in response.text
    assert await Picture.count() == 0


async def test_a_small_picture_is_never_enlarged(admin, event):
    await upload_event_picture(admin, event.id, picture_bytes("GIF", (200, 100)), "icon.gif")

    assert (await Picture.select(Picture.widths).first())["widths"] == "200"


async def test_a_replaced_or_removed_picture_is_deleted_and_no_longer_served(admin, event):
    await upload_event_picture(admin, event.id, picture_bytes("PNG", (800, 600)))
    first = (await Picture.select().first())["digest"]
    await upload_event_picture(admin, event.id, picture_bytes("WEBP", (900, 600)), "new.webp", "The new one")

    assert (await admin.get(f"/assets/pictures/{first}/320")).status_code == 404
    [second] = await Picture.select()
    assert (await Event.select(Event.picture_alt).first())["picture_alt"] == "The new one"

    await upload_event_picture(admin, event.id, b"", "", "Words changed alone")
    assert (await Event.select(Event.picture, Event.picture_alt).first()) == {
        "picture": second["id"],
        "picture_alt": "Words changed alone",
    }

    token = await csrf_token(admin, f"/backoffice/events/{event.id}")
    response = await admin.post(f"/backoffice/events/{event.id}/picture/remove", data={"_csrf_token": token})
    assert response.status_code == 303
    assert await Picture.count() == 0 and await PictureRendition.count() == 0
    assert 'class="event-picture' not in (await admin.get("/events/the-tempest")).text


async def test_the_logo_and_the_venues_name_head_every_storefront_page(admin, event):
    token = await csrf_token(admin, "/backoffice/settings/storefront")
    await admin.post(
        "/backoffice/settings/storefront/logo",
        data={"logo_alt": "Town Hall Theatre", "_csrf_token": token},
        files={"logo": ("logo.png", picture_bytes("PNG", (600, 200)), "image/png")},
    )
    digest = (await Picture.select(Picture.digest).first())["digest"]
    html = (await admin.get("/")).text
    header = html[html.index('<header class="site-header">') : html.index("</header>")]
    assert f'src="/assets/pictures/{digest}/' in header and 'alt="Town Hall Theatre"' in header

    await name_the_house("Town Hall Theatre", now=datetime.now(UTC))

    for page in ("/", "/events/the-tempest", "/privacy"):
        html = (await admin.get(page)).text
        header = html[html.index('<header class="site-header">') : html.index("</header>")]
        assert f'src="/assets/pictures/{digest}/' in header and 'alt=""' in header  # the name says it
        assert "<span>Town Hall Theatre</span>" in header

    token = await csrf_token(admin, "/backoffice/settings/storefront")
    await admin.post("/backoffice/settings/storefront/logo/remove", data={"_csrf_token": token})
    assert "/assets/pictures/" not in (await admin.get("/")).text and await Picture.count() == 0


async def test_a_bad_logo_is_refused_on_the_settings_page(admin):
    token = await csrf_token(admin, "/backoffice/settings/storefront")
    response = await admin.post(
        "/backoffice/settings/storefront/logo",
        data={"logo_alt": "Our logo", "_csrf_token": token},
        files={"logo": ("logo.png", b"%PDF-1.7 not a picture", "image/png")},
    )

    assert response.status_code == 400 and "not a picture we can read" in response.text
    assert re.search(r'<a href="#field-logo">', response.text)
    assert await Picture.count() == 0


@pytest.mark.parametrize(
    ("path", "form_page"),
    [
        ("/backoffice/events/{event}/picture", "/backoffice"),
        ("/backoffice/settings/storefront/logo", "/backoffice"),
    ],
)
async def test_only_staff_allowed_on_the_page_may_upload(client, event, path, form_page):
    await sign_in(client, await make_staff("door_staff", enrolled=False))
    token = await csrf_token(client, form_page)

    response = await client.post(
        path.format(event=event.id),
        data={"picture_alt": ALT, "logo_alt": ALT, "_csrf_token": token},
        files={
            "picture": ("a.png", picture_bytes(), "image/png"),
            "logo": ("a.png", picture_bytes(), "image/png"),
        },
    )

    assert response.status_code == 403 and await Picture.count() == 0


async def test_an_unknown_picture_is_not_found(client):
    assert (await client.get("/assets/pictures/0123456789abcdef/320")).status_code == 404

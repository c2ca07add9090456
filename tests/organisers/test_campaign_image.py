"""Organisers give their campaign its own picture, over HTTP: what is kept is redrawn by us
(no EXIF, no GPS, the sizes the page and the share card need), the page and its share card
show it with its description in the visitor's language, a file that is not a picture is
refused with nothing kept, and the files are served to be cached for a year."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from campaign.audit.models import AuditEvent
from campaign.campaigns.image_models import CampaignPicture, CampaignPictureAlt
from campaign.extensions import db
from tests.factories import campaign_by_slug, csrf_from, login, make_campaign, make_organiser
from tests.helpers import count_rows
from tests.pictures import (
    CAMERA_MAKER,
    SVG,
    files_in,
    photo_with_gps,
    picture_bytes,
    png_declaring,
)

ALT_EN = "Protesters hold up phones showing the word 'Stop' outside parliament."
ALT_FR = "Des manifestants brandissent des téléphones affichant « Stop » devant le parlement."


def upload_folder(app: Flask) -> Path:
    return Path(app.config["INSTANCE_PATH"]) / "uploads"


def upload(
    client: FlaskClient,
    slug: str,
    content: bytes | None,
    *,
    filename: str = "photo.jpg",
    alt_en: str = ALT_EN,
    alt_fr: str = ALT_FR,
) -> TestResponse:
    page = client.get(f"/organiser/campaigns/{slug}/image").get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": csrf_from(page), "alt_en": alt_en, "alt_fr": alt_fr}
    # No file chosen: browsers send an empty part with an empty file name.
    data["image"] = (io.BytesIO(content or b""), filename if content is not None else "")
    return client.post(
        f"/organiser/campaigns/{slug}/image", data=data, content_type="multipart/form-data"
    )


def stored(app: Flask) -> CampaignPicture | None:
    with app.app_context():
        picture = db.session.scalars(select(CampaignPicture)).first()
        if picture is not None:
            db.session.expunge(picture)
        return picture


def picture_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("campaign.image%"))
            .order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(events)


def meta(page: str, name: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    assert match, name
    return match.group(1)


def page_image(page: str) -> dict[str, str]:
    match = re.search(r'<img class="campaign-image"([^>]*)>', page)
    assert match
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


def test_an_organiser_uploads_a_photo_and_the_page_and_share_card_show_it_without_its_exif(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    photo = photo_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825), "the photo has a position"

    response = upload(organiser_client, campaign, photo)

    assert response.status_code == 303
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved. The public page and its share card show it now." in page
    picture = stored(app)
    assert picture is not None
    files = {path.name: path for path in files_in(upload_folder(app))}
    assert sorted(files) == sorted(picture.files)
    expected = {
        picture.page_small_file: ("WEBP", (800, 420)),
        picture.page_large_file: ("WEBP", (1200, 630)),
        picture.card_file: ("JPEG", (1200, 630)),
    }
    for name, (image_format, size) in expected.items():
        data = files[name].read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size) == (image_format, size)
            assert not image.getexif(), name
            assert "exif" not in image.info and "xmp" not in image.info
        assert b"Exif" not in data and CAMERA_MAKER.encode() not in data
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", picture.card_file)

    english = organiser_client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    image = page_image(english)
    assert image["src"] == f"/uploads/{picture.page_small_file}"
    assert image["srcset"] == (
        f"/uploads/{picture.page_small_file} 800w, /uploads/{picture.page_large_file} 1200w"
    )
    assert image["alt"] == ALT_EN.replace("'", "&#39;") and "lang" not in image
    card = f"https://petition.example.org/uploads/{picture.card_file}"
    assert meta(english, "og:image") == card and meta(english, "twitter:image") == card
    assert meta(english, "og:image:width") == "1200" and meta(english, "og:image:height") == "630"
    assert meta(english, "og:image:alt") == ALT_EN.replace("'", "&#39;")
    assert meta(english, "twitter:card") == "summary_large_image"
    assert "campaign-default" not in english

    french = organiser_client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert page_image(french)["alt"] == ALT_FR and "lang" not in page_image(french)
    assert meta(french, "og:image:alt") == ALT_FR and meta(french, "og:image") == card

    [event] = picture_events(app)
    assert (event.action, event.actor) == ("campaign.image", "organiser@example.org")
    assert event.details["image"] == [None, picture.card_file]
    assert event.details["alt"] == {"en": [None, ALT_EN], "fr": [None, ALT_FR]}


def test_the_photo_is_turned_as_its_exif_orientation_says_before_it_is_cropped(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    # Stored on its side, shown red above blue: so must our files be.
    assert upload(organiser_client, campaign, photo_with_gps(turned=True)).status_code == 303

    picture = stored(app)
    assert picture is not None
    with Image.open(upload_folder(app) / picture.card_file) as card:
        rgb = card.convert("RGB")
        top, bottom = rgb.getpixel((600, 20)), rgb.getpixel((600, 610))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 and top[2] < 100, top  # red
    assert bottom[2] > 150 and bottom[0] < 100, bottom  # blue


def test_a_language_without_its_own_description_uses_the_campaigns_own_marked_with_its_language(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    assert upload(organiser_client, campaign, photo_with_gps(), alt_fr="").status_code == 303

    french = organiser_client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert page_image(french)["alt"] == ALT_EN.replace("'", "&#39;")
    assert page_image(french)["lang"] == "en"
    assert meta(french, "og:image:alt") == ALT_EN.replace("'", "&#39;")
    with app.app_context():
        assert db.session.scalars(select(CampaignPictureAlt.locale)).all() == ["en"]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"Dear supporters, this is not a picture.\n", "photo.jpg", "is not a JPEG, PNG or WebP"),
        (picture_bytes("PNG")[:400], "cut.png", "is not a JPEG, PNG or WebP"),
        (SVG, "drawing.svg", "is not a JPEG, PNG or WebP"),
        (picture_bytes("GIF"), "old.gif", "is not a JPEG, PNG or WebP"),
        (png_declaring(100_000, 100_000), "bomb.png", "at most 50 million pixels"),
        (png_declaring(10_000, 6_000), "big.png", "at most 50 million pixels"),
        (b"", "empty.jpg", "The file is empty."),
        (picture_bytes("JPEG", (300, 200)), "tiny.jpg", "too small (300 × 200 pixels)"),
    ],
    ids=["text", "truncated-png", "svg", "gif", "bomb", "too-many-pixels", "empty", "too-small"],
)
def test_a_file_that_is_not_a_usable_picture_is_refused_and_nothing_is_kept(
    app: Flask,
    organiser_client: FlaskClient,
    campaign: str,
    content: bytes,
    filename: str,
    message: str,
) -> None:
    response = upload(organiser_client, campaign, content, filename=filename)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error-summary" role="alert"' in page and 'href="#image"' in page
    assert stored(app) is None and count_rows(app, CampaignPictureAlt) == 0
    assert files_in(upload_folder(app)) == []
    assert picture_events(app) == []
    # The texts typed are kept for the next try.
    assert ALT_FR in page


def test_a_refused_replacement_keeps_the_current_picture_as_it_was(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    assert upload(organiser_client, campaign, photo_with_gps()).status_code == 303
    before, kept = stored(app), files_in(upload_folder(app))

    response = upload(organiser_client, campaign, SVG, filename="x.svg", alt_en="Another text")

    assert response.status_code == 422
    after = stored(app)
    assert before is not None and after is not None and after.files == before.files
    assert files_in(upload_folder(app)) == kept
    with app.app_context():
        assert db.session.scalars(select(CampaignPictureAlt.text).order_by("locale")).all() == [
            ALT_EN,
            ALT_FR,
        ]


def test_a_file_over_the_setting_gets_a_clear_message_and_far_over_it_is_not_even_read(
    app: Flask, make_app: object, campaign: str, organiser: str
) -> None:
    small = make_app(CAMPAIGN_IMAGE_MAX_BYTES=100_000)  # type: ignore[operator]
    client = small.test_client()
    assert login(client, organiser).status_code == 303
    big = picture_bytes("PNG", (1200, 630))
    big += b"\0" * (150_000 - len(big))  # a valid PNG, padded after its end

    response = upload(client, campaign, big, filename="big.png")
    assert response.status_code == 422
    assert "The file is too large: at most 0.0954 MB." in response.get_data(as_text=True)

    huge = upload(client, campaign, b"\xff" * 300_000, filename="huge.jpg")
    assert huge.status_code == 413
    assert stored(app) is None and files_in(upload_folder(app)) == []


def test_the_description_in_the_campaigns_own_language_is_required(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    response = upload(organiser_client, campaign, photo_with_gps(), alt_en="  ")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Describe the picture in the campaign&#39;s own language" in page
    assert 'href="#alt_en"' in page
    assert stored(app) is None and files_in(upload_folder(app)) == []


@pytest.mark.parametrize(
    ("alt", "message"),
    [("x" * 301, "At most 300 characters."), ("Bell\x07 rings", "Remove the control characters")],
)
def test_a_description_too_long_or_with_control_characters_is_refused(
    app: Flask, organiser_client: FlaskClient, campaign: str, alt: str, message: str
) -> None:
    response = upload(organiser_client, campaign, photo_with_gps(), alt_fr=alt)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(app) is None and files_in(upload_folder(app)) == []


def test_hostile_markup_in_a_description_is_shown_as_text(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    hostile = '"><script>alert(1)</script>'
    assert upload(organiser_client, campaign, photo_with_gps(), alt_en=hostile).status_code == 303

    page = organiser_client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_new_picture_gets_new_names_and_the_old_files_are_deleted(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    assert upload(organiser_client, campaign, photo_with_gps()).status_code == 303
    first = stored(app)
    assert first is not None
    with organiser_client.get(f"/uploads/{first.card_file}") as old_card:
        assert old_card.status_code == 200

    assert upload(organiser_client, campaign, picture_bytes("WEBP")).status_code == 303

    second = stored(app)
    assert second is not None and not set(second.files) & set(first.files)
    assert [path.name for path in files_in(upload_folder(app))] == sorted(second.files)
    assert organiser_client.get(f"/uploads/{first.card_file}").status_code == 404
    page = organiser_client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert second.card_file in page and first.card_file not in page


def test_the_description_alone_can_be_changed_keeping_the_picture(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    assert upload(organiser_client, campaign, photo_with_gps()).status_code == 303
    before = stored(app)

    response = upload(organiser_client, campaign, None, alt_fr="Une foule devant le parlement.")

    assert response.status_code == 303
    after = stored(app)
    assert before is not None and after is not None and after.files == before.files
    french = organiser_client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert page_image(french)["alt"] == "Une foule devant le parlement."
    latest = picture_events(app)[-1]
    assert latest.details["alt"] == {"fr": [ALT_FR, "Une foule devant le parlement."]}


def test_saving_without_a_picture_when_there_is_none_asks_for_one(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    response = upload(organiser_client, campaign, None)

    assert response.status_code == 422
    assert "Choose a picture: a JPEG, PNG or WebP file." in response.get_data(as_text=True)
    assert stored(app) is None


def test_removing_the_picture_brings_back_the_default_and_deletes_its_files(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    assert upload(organiser_client, campaign, photo_with_gps()).status_code == 303
    page = organiser_client.get(f"/organiser/campaigns/{campaign}/image").get_data(as_text=True)
    assert "Remove the picture" in page

    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/image/remove", data={"csrf_token": csrf_from(page)}
    )

    assert response.status_code == 303
    done = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Removed. The campaign shows the default picture again." in done
    assert "Remove the picture" not in done
    assert stored(app) is None and count_rows(app, CampaignPictureAlt) == 0
    assert files_in(upload_folder(app)) == []
    public = organiser_client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert meta(public, "og:image").endswith("/static/images/campaign-default-1200x630.jpg")
    actions = [event.action for event in picture_events(app)]
    assert actions == ["campaign.image", "campaign.image_removed"]


def test_files_two_campaigns_share_are_kept_while_one_still_uses_them(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    with app.app_context():
        other = make_campaign(db.session)
        make_organiser(
            db.session,
            "both@example.org",
            campaigns=[other, campaign_by_slug(db.session, campaign)],
        )
        db.session.commit()
        other_slug = other.slug
    client = app.test_client()
    assert login(client, "both@example.org").status_code == 303
    photo = photo_with_gps()
    assert upload(client, campaign, photo).status_code == 303
    assert upload(client, other_slug, photo).status_code == 303
    shared = files_in(upload_folder(app))
    assert len(shared) == 3

    page = client.get(f"/organiser/campaigns/{campaign}/image").get_data(as_text=True)
    client.post(
        f"/organiser/campaigns/{campaign}/image/remove", data={"csrf_token": csrf_from(page)}
    )

    assert files_in(upload_folder(app)) == shared


def test_an_organiser_not_granted_the_campaign_can_neither_see_nor_change_its_picture(
    app: Flask, organiser_client: FlaskClient
) -> None:
    with app.app_context():
        other = make_campaign(db.session).slug
        db.session.commit()
    token = csrf_from(organiser_client.get("/organiser/").get_data(as_text=True))

    assert organiser_client.get(f"/organiser/campaigns/{other}/image").status_code == 403
    response = organiser_client.post(
        f"/organiser/campaigns/{other}/image",
        data={
            "csrf_token": token,
            "alt_en": ALT_EN,
            "image": (io.BytesIO(photo_with_gps()), "a.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    removal = organiser_client.post(
        f"/organiser/campaigns/{other}/image/remove", data={"csrf_token": token}
    )
    assert removal.status_code == 403
    assert organiser_client.get("/organiser/campaigns/no-such/image").status_code == 404
    assert stored(app) is None and files_in(upload_folder(app)) == []


def test_without_logging_in_the_page_sends_to_the_login(app: Flask, campaign: str) -> None:
    response = app.test_client().get(f"/organiser/campaigns/{campaign}/image")
    assert response.status_code in (302, 303)
    assert "/organiser/login" in response.headers["Location"]


def test_an_upload_without_the_form_token_is_refused(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/image",
        data={"alt_en": ALT_EN, "image": (io.BytesIO(photo_with_gps()), "a.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)
    assert stored(app) is None and files_in(upload_folder(app)) == []


def test_the_files_are_served_for_caches_to_keep_a_year(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    assert upload(organiser_client, campaign, photo_with_gps()).status_code == 303
    picture = stored(app)
    assert picture is not None
    visitor = app.test_client()

    for name, content_type in (
        (picture.card_file, "image/jpeg"),
        (picture.page_small_file, "image/webp"),
    ):
        with visitor.get(f"/uploads/{name}") as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response.headers["Content-Type"] == content_type
            assert "Set-Cookie" not in response.headers
            assert response.data == (upload_folder(app) / name).read_bytes()
    for missing in ("0" * 32 + ".jpg", "..%2Fcampaign.db", "photo.svg", picture.card_file + "x"):
        assert visitor.get(f"/uploads/{missing}").status_code == 404


def test_the_dashboard_links_to_the_picture_page(
    organiser_client: FlaskClient, campaign: str
) -> None:
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    assert f'href="/organiser/campaigns/{campaign}/image"' in page

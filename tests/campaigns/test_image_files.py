"""Drawing a campaign's picture files from an upload, without HTTP: every kind of picture an
organiser may send comes out as the same three clean files, and the upload folder keeps
them whole under names that are the hash of their bytes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from campaign.campaigns.image_files import (
    CARD_MAX_BYTES,
    DrawnFile,
    InvalidPicture,
    UploadFolder,
    clean_alt_texts,
    prepare_picture,
)
from tests.pictures import photo_with_gps, picture_bytes

MAX = 8 * 1024 * 1024


def opened(drawn: DrawnFile) -> Image.Image:
    image = Image.open(io.BytesIO(drawn.data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (picture_bytes("JPEG", (4032, 3024)), "a phone's 12-megapixel photo"),
        (picture_bytes("PNG", (1200, 630)), "a PNG the size of a share card"),
        (picture_bytes("WEBP", (2000, 2000)), "a square WebP"),
        (picture_bytes("JPEG", (700, 2000)), "a tall narrow JPEG"),
        (picture_bytes("JPEG", (1600, 900), mode="CMYK"), "a CMYK JPEG from a print shop"),
        (picture_bytes("PNG", (1600, 900), mode="L"), "a greyscale PNG"),
        (picture_bytes("PNG", (1600, 900), mode="P"), "a PNG with a palette"),
    ],
)
def test_every_kind_of_picture_becomes_the_same_three_files(content: bytes, kind: str) -> None:
    prepared = prepare_picture(content, max_bytes=MAX)

    sizes = [(opened(f).format, opened(f).mode, opened(f).size) for f in prepared.files]
    assert sizes == [
        ("WEBP", "RGB", (800, 420)),
        ("WEBP", "RGB", (1200, 630)),
        ("JPEG", "RGB", (1200, 630)),
    ], kind
    assert len(prepared.card.data) <= CARD_MAX_BYTES
    for drawn in prepared.files:
        assert drawn.name.startswith(hashlib.sha256(drawn.data).hexdigest()[:32])


def test_a_transparent_png_is_laid_on_white() -> None:
    prepared = prepare_picture(picture_bytes("PNG", (1200, 630), mode="RGBA"), max_bytes=MAX)

    assert opened(prepared.card).convert("RGB").getpixel((600, 300)) == (255, 255, 255)


def test_a_picture_with_a_colour_profile_is_converted_to_srgb_and_the_profile_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    output = io.BytesIO()
    Image.new("RGB", (1200, 630), (200, 30, 30)).save(output, format="JPEG", icc_profile=srgb)

    prepared = prepare_picture(output.getvalue(), max_bytes=MAX)

    card = opened(prepared.card)
    assert "icc_profile" not in card.info
    red = card.convert("RGB").getpixel((600, 300))
    assert isinstance(red, tuple) and abs(red[0] - 200) < 8 and red[1] < 50


def test_the_same_upload_twice_gives_the_same_names_and_another_gives_new_ones() -> None:
    first = prepare_picture(picture_bytes("PNG", (1200, 630)), max_bytes=MAX)
    again = prepare_picture(picture_bytes("PNG", (1200, 630)), max_bytes=MAX)
    other = prepare_picture(photo_with_gps(), max_bytes=MAX)

    assert [f.name for f in first.files] == [f.name for f in again.files]
    assert not {f.name for f in first.files} & {f.name for f in other.files}


def test_the_folder_writes_each_file_whole_readable_by_a_web_server(tmp_path: Path) -> None:
    folder = UploadFolder(tmp_path / "uploads")
    prepared = prepare_picture(picture_bytes("JPEG", (1200, 630)), max_bytes=MAX)

    for drawn in prepared.files:
        folder.write(drawn)
        folder.write(drawn)  # the same name is the same bytes: nothing to do

    names = sorted(path.name for path in (tmp_path / "uploads").iterdir())
    assert names == sorted(f.name for f in prepared.files)  # no temporary file left
    card = folder.path(prepared.card.name)
    assert card is not None and card.read_bytes() == prepared.card.data
    assert card.stat().st_mode & 0o777 == 0o644
    assert folder.path("../uploads/" + prepared.card.name) is None
    assert folder.path("0" * 32 + ".jpg") is None


def test_alt_texts_are_tidied_and_empty_ones_dropped() -> None:
    texts = clean_alt_texts({"en": "  A crowd\n in  the rain ", "fr": "   "}, main_locale="en")

    assert texts == {"en": "A crowd in the rain"}


def test_an_alt_text_is_required_in_the_campaigns_own_language() -> None:
    with pytest.raises(InvalidPicture) as refused:
        clean_alt_texts({"en": "", "fr": "Une foule"}, main_locale="en")

    assert refused.value.field == "en"

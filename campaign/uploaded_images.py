"""Opening an uploaded picture safely: the one place that decides whether bytes from a
browser are an image we may decode (the organisation's logo, a campaign's picture).

Nothing here trusts the file's name or the browser's content type: the bytes are decoded
by Pillow, and only PNG, JPEG and WebP pass (never SVG, which is a document that may carry
script). The dimensions are checked from the header before any pixel is decoded, so a small
file that declares a gigantic picture (a decompression bomb) costs nothing. The picture
comes back fully decoded and turned the way its EXIF orientation says, for the caller to
draw again: what is stored is always ours, never the upload.
"""

from __future__ import annotations

import enum
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("PNG", "JPEG", "WEBP")


class Refusal(enum.Enum):
    EMPTY = "empty"
    TOO_MANY_BYTES = "too many bytes"
    NOT_AN_IMAGE = "not an image"  # not PNG, JPEG or WebP, or damaged
    TOO_MANY_PIXELS = "too many pixels"


class UploadRefused(Exception):
    """The upload is not an image we take; `refusal` says why, for the caller's message."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def open_uploaded_image(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    draft: tuple[int, int] | None = None,
) -> Image.Image:
    """The upload decoded, turned upright (EXIF orientation), with its first frame only.

    `draft`: a JPEG may be decoded at a reduced scale that still covers this size, which
    saves most of the memory a large photo would take. Raises UploadRefused.
    """
    if not data:
        raise UploadRefused(Refusal.EMPTY)
    if len(data) > max_bytes:
        raise UploadRefused(Refusal.TOO_MANY_BYTES)
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, above its own MAX_IMAGE_PIXELS: ours is lower, and
            # checked before decoding, so its warning must not turn into an error first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise UploadRefused(Refusal.NOT_AN_IMAGE)
                if probe.width * probe.height > max_pixels:
                    raise UploadRefused(Refusal.TOO_MANY_PIXELS)
                probe.verify()  # checksums and structure, without decoding the pixels
            with Image.open(io.BytesIO(data)) as image:
                if draft is not None and image.format == "JPEG":
                    image.draft("RGB", draft)
                image.load()  # a truncated or corrupt file fails here
                upright = ImageOps.exif_transpose(image)  # a new picture, not the file's
                assert upright is not None  # (None only when turned in place)
    except UploadRefused:
        raise
    except Image.DecompressionBombError:
        raise UploadRefused(Refusal.TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadRefused(Refusal.NOT_AN_IMAGE) from None
    except Exception:  # hostile bytes may trip any decoder error: still not an image, not a 500
        raise UploadRefused(Refusal.NOT_AN_IMAGE) from None
    return upright

"""Picture files as an organiser's camera or a hostile client would send them: real JPEG,
PNG and WebP files drawn with Pillow, and files that only pretend to be pictures."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import ExifTags, Image

# Where the photo was taken, as a phone writes it: Paris, in degrees, minutes, seconds.
GPS_LATITUDE = (48.0, 51.0, 24.0)
CAMERA_MAKER = "TestCam Industries"


def striped(size: tuple[int, int], top: str = "#c0392b", bottom: str = "#2e86c1") -> Image.Image:
    """Two colours, one above the other: whether a picture was turned shows at a glance."""
    image = Image.new("RGB", size, top)
    image.paste(Image.new("RGB", (size[0], size[1] // 2), bottom), (0, size[1] // 2))
    return image


def photo_with_gps(size: tuple[int, int] = (2400, 1600), *, turned: bool = False) -> bytes:
    """A JPEG as a phone saves it: EXIF with the camera, the GPS position and, `turned`, the
    pixels stored on their side with Orientation 6 (shown turned a quarter clockwise)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKER
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    image = striped(size)
    if turned:
        # Stored a quarter turn anticlockwise; Orientation 6 tells viewers to turn it back.
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[ExifTags.Base.Orientation] = 6
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=90, exif=exif)
    return output.getvalue()


def picture_bytes(format: str, size: tuple[int, int] = (1600, 900), mode: str = "RGB") -> bytes:
    image = Image.new("RGBA", size, (20, 120, 60, 0)) if mode == "RGBA" else striped(size)
    output = io.BytesIO()
    image.convert(mode).save(output, format=format)
    return output.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header declares `width` × `height` pixels: decoded,
    it would take gigabytes (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + _png_chunk(b"IEND", b"")
    )


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630">'
    b'<script>alert(1)</script><rect width="1200" height="630" fill="red"/></svg>'
)


def files_in(folder: Path) -> list[Path]:
    """The files kept in an upload folder (none if it was never made)."""
    return sorted(path for path in folder.glob("*") if path.is_file()) if folder.is_dir() else []

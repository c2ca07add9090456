"""Campaign pictures' files, served from the upload folder at `/uploads/<name>`.

A name is the hash of the file's bytes, so the answer may be kept for a year by browsers
and shared caches; a web server in front may serve the folder itself (docs/deploy.md).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_file

from campaign.campaigns.image_files import UploadFolder

bp = Blueprint("campaign_images", __name__)

LONG_CACHE = "public, max-age=31536000, immutable"
_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}


@bp.get("/uploads/<name>")
def file(name: str) -> Response:
    path = UploadFolder.of(current_app.config).path(name)
    if path is None:
        abort(404)
    response = send_file(
        path, mimetype=_TYPES[path.suffix.removeprefix(".")], conditional=True, max_age=None
    )
    response.headers["Cache-Control"] = LONG_CACHE
    return response

"""The organiser area: one parent blueprint at `/organiser` for every staff page and download.

Every feature for organisers (accounts, clean-up, dashboard, exports, and the next one) is a
child blueprint of it, so the headers below reach every staff response, CSV included,
without each feature remembering them.
"""

from __future__ import annotations

from flask import Blueprint, Response

URL_PREFIX = "/organiser"


def private_staff_response(response: Response) -> Response:
    # Staff pages and exports hold supporters' data: never kept by a cache or indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def organiser_area(*features: Blueprint) -> Blueprint:
    """The `/organiser` parent blueprint with `features` nested in it (their endpoints are
    `organiser.<feature>.<view>`). Built per app: a blueprint cannot change once registered."""
    area = Blueprint("organiser", __name__, url_prefix=URL_PREFIX)
    area.after_request(private_staff_response)
    for feature in features:
        area.register_blueprint(feature)
    return area

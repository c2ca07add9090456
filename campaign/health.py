"""`/healthz`, for load balancers and monitoring."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from campaign.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("Health check: database unreachable: %s", type(error).__name__)
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response, 200

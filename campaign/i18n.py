"""Which language a page is shown in."""

from __future__ import annotations

from flask import current_app, has_request_context, request


def select_locale() -> str:
    """`?lang=` when given (so a link can be shared in a language), else the browser's choice."""
    languages: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command: its messages in the default language
        return languages[0]
    asked = request.args.get("lang", "")
    if asked in languages:
        return asked
    return request.accept_languages.best_match(languages) or languages[0]

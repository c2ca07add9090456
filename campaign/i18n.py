"""Which language a page is shown in, and the links that keep or change it.

The language comes from `?lang=` when the URL names one, so that a link can be shared and
crawled in a given language; otherwise from the browser's `Accept-Language`. A language
chosen in the URL is carried on every internal link (`url_for`) for the rest of the visit,
without a cookie. See docs/languages.md.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale
from werkzeug.wrappers import Response

from campaign.extensions import babel
from campaign.links import public_url_for

log = logging.getLogger(__name__)


def requested_locale() -> str | None:
    """The language named by `?lang=`, if it is one we offer."""
    asked = request.args.get("lang", "")
    return asked if asked in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """`?lang=` when given, else the browser's choice, else the default language."""
    if not has_request_context():  # a command or the mail worker, outside `force_locale`
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    asked = requested_locale()
    if asked:
        return asked
    # The page now depends on a request header: caches must know it (see `_vary`).
    g.locale_negotiated = True
    languages: list[str] = current_app.config["LANGUAGES"]
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def language_tag(locale: str) -> str:
    """The BCP 47 tag HTML wants (`pt-BR`) for a Babel locale name (`pt_BR`)."""
    return str(locale).replace("_", "-")


@lru_cache(maxsize=32)
def text_direction(locale: str) -> str:
    """`rtl` for languages written right to left (Arabic, Hebrew, Persian…), else `ltr`."""
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=32)
def language_name(locale: str) -> str:
    """A language's name in that language, as a reader looks for it: "Français", "English"."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


def reader_language_name(locale: str) -> str:
    """A language named as this page's reader says it, for use in a sentence: "French" on an
    English page, "anglais" on a French one (`language_name` is for choosing a language)."""
    return _display_name(locale, str(get_locale()))


@lru_cache(maxsize=64)
def _display_name(locale: str, reader: str) -> str:
    return Locale.parse(locale).get_display_name(reader) or locale


# Stands for `kept_query()` in a page rendered once and served to many visitors (the
# campaign page): each visitor's own query goes in its place.
QUERY_MARK = "@@kept-query@@"
# The same for this request's path, in a page rendered once for every visitor whose URL
# carries its own token (the confirmation's thank-you page).
PATH_MARK = "@@this-path@@"


def kept_query() -> str:
    """This request's query without `lang`, ready to go before it: `source=x&` or ``."""
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "lang"])
    return f"{query}&" if query else ""


def this_path() -> str:
    """This request's path, quoted for a link."""
    return quote(request.script_root + request.path)


def switch_language_url(locale: str) -> str:
    """This page in `locale`: the same path and query (`?source=` and the rest), new `lang`."""
    query = QUERY_MARK if g.get("query_mark") else kept_query()
    path = PATH_MARK if g.get("path_mark") else this_path()
    return f"{path}?{query}lang={quote(locale)}"


def language_switcher() -> list[dict[str, Any]]:
    """The languages offered, each with the link to this page in it, for `base.html`."""
    current = str(get_locale())
    return [
        {
            "code": code,
            "name": language_name(code),
            "url": switch_language_url(code),
            "current": code == current,
        }
        for code in current_app.config["LANGUAGES"]
    ]


def language_alternates(endpoint: str, **values: Any) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) for each language of a public page, and `x-default`.

    Lets search engines find every language version; `x-default` is the address without
    `?lang=`, which answers in the reader's own language.
    """
    url = public_url_for(endpoint, **values)
    separator = "&" if "?" in url else "?"
    alternates = [
        (code, f"{url}{separator}lang={code}") for code in current_app.config["LANGUAGES"]
    ]
    alternates.append(("x-default", url))
    return alternates


def _keep_language_in_links(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" or "lang" in values or not has_request_context():
        return
    asked = requested_locale()
    if asked:
        values["lang"] = asked


def _vary(response: Response) -> Response:
    if g.get("locale_negotiated"):
        response.vary.add("Accept-Language")
    return response


class CataloguesUnavailable(RuntimeError):
    """A language's catalogue is not compiled and cannot be compiled here."""


def _is_fresh(compiled: Path, source: Path) -> bool:
    return compiled.is_file() and compiled.stat().st_mtime >= source.stat().st_mtime


def _compile(source: Path, compiled: Path, locale: str) -> None:
    """What `pybabel compile` does (fuzzy entries left out), written atomically: several
    processes starting at once each write their own file, and the last rename wins."""
    with source.open("rb") as po:
        catalogue = read_po(po, locale=locale)
    compiled.parent.mkdir(parents=True, exist_ok=True)
    partial = compiled.with_name(f"{compiled.name}.{os.getpid()}.tmp")
    try:
        with partial.open("wb") as mo:
            write_mo(mo, catalogue, use_fuzzy=False)
        os.replace(partial, compiled)
    finally:
        partial.unlink(missing_ok=True)


def compile_stale_catalogues(app: Flask) -> None:
    """Compile every catalogue (`.po`) whose `.mo` is missing or older, before Babel loads.

    Without its `.mo`, a language silently falls back to English, pages and emails alike;
    a deployment that forgets `make translations` must not do that (docs/languages.md).
    In place when the translations folder can be written; otherwise (a read-only install)
    into the instance folder, which Babel then reads. Refuses to start if neither works.
    """
    folders = [Path(d) for d in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";") if d]
    wanted: list[str] = []
    for folder in folders:
        sources = sorted(folder.glob("*/LC_MESSAGES/*.po"))
        if all(_is_fresh(po.with_suffix(".mo"), po) for po in sources):
            wanted.append(str(folder))  # the usual case: a stat per catalogue, nothing more
            continue
        try:
            for po in sources:
                if not _is_fresh(po.with_suffix(".mo"), po):
                    _compile(po, po.with_suffix(".mo"), po.parent.parent.name)
            wanted.append(str(folder))
            continue
        except OSError:
            pass  # read-only: compile them all beside the instance's other files instead
        copy = Path(app.config["INSTANCE_PATH"]) / "translations"
        try:
            for po in sources:
                compiled = copy / po.relative_to(folder).with_suffix(".mo")
                if not _is_fresh(compiled, po):
                    _compile(po, compiled, po.parent.parent.name)
        except OSError as error:
            raise CataloguesUnavailable(
                f"The translations in {folder} are not compiled, and neither {folder} nor "
                f"{copy} can be written ({error.strerror}): pages and emails would be in "
                "English only. Compile them where they are, as part of the deployment: "
                "`make translations` (or `pybabel compile -d translations`)."
            ) from error
        wanted.append(str(copy))
        log.info("Translations compiled into %s (%s cannot be written)", copy, folder)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(wanted)


def init_app(app: Flask) -> None:
    compile_stale_catalogues(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        get_locale=get_locale,
        text_direction=text_direction,
        language_switcher=language_switcher,
        language_alternates=language_alternates,
    )
    app.jinja_env.filters["language_tag"] = language_tag
    app.url_defaults(_keep_language_in_links)
    app.after_request(_vary)

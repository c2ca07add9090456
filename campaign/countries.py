"""The countries a supporter may choose, named in the reader's language (CLDR, via Babel)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import Locale
from markupsafe import Markup, escape

# CLDR names two-letter codes that are not a country a person lives in: groupings (EU, EZ,
# UN), "unknown" and pseudo-locales (ZZ, QO, XA, XB), and ISO's exceptionally reserved codes
# for parts of a country that has its own code (Ascension AC and Tristan da Cunha TA are in
# SH, Canary Islands IC and Ceuta & Melilla EA in ES, Clipperton CP in FR, Diego Garcia DG
# in IO, Sark CQ in GG). Counting those apart would split a country's tally.
NOT_COUNTRIES = frozenset(
    {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "AC", "TA", "IC", "EA", "CP", "DG", "CQ"}
)


def _cldr_countries() -> frozenset[str]:
    """ISO 3166-1 countries and territories, and Kosovo: XK, the code CLDR, the EU and most
    software use, though ISO has not assigned it (an ISO-only list, such as pycountry's,
    left supporters in Kosovo unable to sign)."""
    territories = Locale.parse("en").territories
    return frozenset(
        code
        for code in territories
        if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    )


COUNTRY_CODES: frozenset[str] = _cldr_countries()


def _sort_key(name: str) -> str:
    # Accents sort with their base letter ("Équateur" beside "Egypte"), as readers expect.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=16)
def country_names(locale: str) -> dict[str, str]:
    """Every country code with its name in `locale` (CLDR's, else its English name)."""
    english = Locale.parse("en").territories
    territories = Locale.parse(locale).territories
    return {code: str(territories.get(code) or english[code]) for code in COUNTRY_CODES}


@lru_cache(maxsize=16)
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    names = country_names(locale)
    return tuple(sorted(names.items(), key=lambda item: _sort_key(item[1])))


@lru_cache(maxsize=16)
def _options_html(locale: str) -> str:
    return "".join(
        f'<option value="{code}">{escape(name)}</option>' for code, name in country_choices(locale)
    )


def country_options(locale: str, selected: str | None) -> Markup:
    """The `<option>`s of the country select, built once per language.

    Rendering 250 options through WTForms costs more than the rest of the page together,
    so the list is cached as HTML and only the chosen option is marked per request.
    """
    html = _options_html(locale)
    if selected and selected in COUNTRY_CODES:
        html = html.replace(f'value="{selected}"', f'value="{selected}" selected', 1)
    return Markup(html)  # noqa: S704 (names escaped when the list was built)


def country_name(code: str, locale: str) -> str:
    return country_names(locale).get(code, code)

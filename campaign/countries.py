"""ISO 3166-1 countries, named in the reader's language."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pycountry
from babel import Locale
from markupsafe import Markup, escape

COUNTRY_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)


def _sort_key(name: str) -> str:
    # Accents sort with their base letter ("Équateur" beside "Egypte"), as readers expect.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=16)
def country_names(locale: str) -> dict[str, str]:
    """Every country code with its name in `locale` (Babel's CLDR data, else pycountry's)."""
    territories = Locale.parse(locale).territories
    names: dict[str, str] = {}
    for country in pycountry.countries:
        fallback = getattr(country, "common_name", None) or country.name
        names[country.alpha_2] = str(territories.get(country.alpha_2) or fallback)
    return names


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

"""Every word a supporter reads goes through gettext, and every catalogue translates every one."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from config import Config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "translations"
# The same keywords as `make messages` (Makefile, EXTRACT): Flask-Babel's lazy forms too.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# Proper names that stay as they are in every language.
UNTRANSLATED_NAMES = {"Twitter", "Facebook", "WhatsApp", "Telegram"}
# Attributes whose value a person reads or hears.
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}

_WORD = re.compile(r"[^\W\d_]{2,}")


class _TextCollector(HTMLParser):
    """Collects the text and readable attribute values of an HTML skeleton."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and (
                name in READ_ATTRIBUTES
                or (name == "value" and values.get("type") in ("submit", "button", "reset"))
                or (name == "content" and tag == "meta" and values.get("name") == "description")
            ):
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.texts.append(data)


def untranslated_text(source: str, *, html: bool) -> list[str]:
    """Words in a template that a reader would see but that no gettext call produces.

    Everything Jinja outputs (`{{ … }}`) counts as translated: it is either a `_()` call or
    data (a name, a number, campaign text from its own per-language files). What is left is
    the template's literal text, which must have no words in it.
    """
    skeleton = []
    lexer = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    for _, token, value in lexer.lex(source):
        if token == "data":
            skeleton.append(value)
        elif token == "variable_begin":
            skeleton.append("\x00")  # an expression's output: not literal text
    text = "".join(skeleton)
    if html:
        collector = _TextCollector()
        collector.feed(text)
        collector.close()
        pieces = collector.texts
    else:
        pieces = [text]
    found = []
    for piece in pieces:
        words = [
            w for w in _WORD.findall(piece.replace("\x00", " ")) if w not in UNTRANSLATED_NAMES
        ]
        if words:
            found.append(" ".join(piece.replace("\x00", "…").split()))
    return found


def test_the_checker_finds_literal_text_and_accepts_gettext() -> None:
    assert untranslated_text("<p>Hello {{ name }}</p>", html=True) == ["Hello …"]
    assert untranslated_text('<img alt="A cat" src="cat.png">', html=True) == ["A cat"]
    assert untranslated_text('<a aria-label="Close">×</a>', html=True) == ["Close"]
    assert untranslated_text("{{ _('Hello') }},\n\n{{ url }}", html=False) == []
    assert untranslated_text("Hello,\n{{ url }}", html=False) == ["Hello, …"]
    assert untranslated_text('<p class="x">{{ _("Hello") }} 12 345 · →</p>', html=True) == []
    assert untranslated_text("<script>var x = 'words';</script>{# a comment #}", html=True) == []
    assert untranslated_text("<li>X / Twitter</li>", html=True) == []


@pytest.mark.parametrize(
    "template",
    sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*") if p.is_file()),
)
def test_every_template_text_goes_through_gettext(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")

    found = untranslated_text(source, html=template.endswith((".html", ".svg")))

    assert found == [], f"{template}: wrap this text in {{{{ _('…') }}}}: {found}"


def extracted_messages() -> Catalog:
    """Every message in the code and templates, extracted as `make messages` does."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog()
    skip = {"node_modules", "build", "instance", "tests", "bench", "migrations", "content"}
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=lambda path: (
            not (Path(path).name.startswith((".", "_")) or Path(path).name in skip)
        ),
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def catalogue_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


TRANSLATED = [locale for locale in Config.LANGUAGES if locale != Config.BABEL_DEFAULT_LOCALE]


def test_every_language_offered_has_a_catalogue_and_every_catalogue_is_offered() -> None:
    catalogues = {path.parent.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES/*.po")}
    assert catalogues == set(TRANSLATED)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_catalogue_translates_every_message_with_nothing_fuzzy_or_empty(locale: str) -> None:
    messages = extracted_messages()
    assert len(messages) > 50  # the extraction itself found the app's text
    with catalogue_path(locale).open("rb") as po:
        catalogue = read_po(po, locale=locale)

    problems = []
    for message in messages:
        if not message.id:
            continue
        translated = catalogue.get(message.id, message.context)
        strings = translated.string if translated else None
        if translated is None:
            problems.append(f"missing: {message.id!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy (check it, then remove the flag): {message.id!r}")
        elif not strings or (isinstance(strings, tuple) and not all(strings)):
            problems.append(f"not translated: {message.id!r}")
    for message, errors in catalogue.check():
        problems += [f"{message.id!r}: {error}" for error in errors]

    assert problems == [], (
        f"translations/{locale}: run `make messages`, translate, then `make translations`:\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_compiled_catalogue_matches_its_source(locale: str) -> None:
    compiled = catalogue_path(locale).with_suffix(".mo")
    assert compiled.exists(), f"{compiled} is missing: run `make translations`"
    with catalogue_path(locale).open("rb") as po, compiled.open("rb") as mo:
        source, built = read_po(po, locale=locale), read_mo(mo)

    def pairs(catalogue: Catalog) -> dict[object, object]:
        def key(value: object) -> object:  # plural forms: a list from .mo, a tuple from .po
            return tuple(value) if isinstance(value, list | tuple) else value

        return {key(m.id): key(m.string) for m in catalogue if m.id and m.string and not m.fuzzy}

    assert pairs(built) == pairs(source), f"{compiled} is stale: run `make translations`"

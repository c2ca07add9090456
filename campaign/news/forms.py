"""The news form: a subject and a body for each language, the campaign's own first.

The campaign's own language uses the plain names `subject` and `body`; every other language
adds its code (`subject_fr`, `body_fr`). Languages left empty get the campaign's own text.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from campaign.i18n import language_name
from campaign.news.services import BODY_MAX, SUBJECT_MAX, Text


def field_suffix(locale: str, main: str) -> str:
    return "" if locale == main else f"_{locale}"


def ordered_languages(languages: list[str], main: str) -> list[str]:
    """The campaign's own language first, then the others as configured."""
    return [main] + [code for code in languages if code != main]


class NewsForm(FlaskForm):
    """Built per campaign (`news_form`): the fields depend on its languages."""

    languages: list[str]
    main: str

    def texts(self) -> dict[str, Text]:
        texts = {}
        for locale in self.languages:
            suffix = field_suffix(locale, self.main)
            texts[locale] = Text(
                self[f"subject{suffix}"].data or "", self[f"body{suffix}"].data or ""
            )
        return texts

    def fill(self, texts: dict[str, Text]) -> None:
        for locale, text in texts.items():
            if locale in self.languages:
                suffix = field_suffix(locale, self.main)
                self[f"subject{suffix}"].data = text.subject
                self[f"body{suffix}"].data = text.body

    def pairs(self) -> list[tuple[str, str, StringField, TextAreaField]]:
        """(code, language name, subject field, body field) for each language."""
        return [
            (
                locale,
                language_name(locale),
                self[f"subject{field_suffix(locale, self.main)}"],
                self[f"body{field_suffix(locale, self.main)}"],
            )
            for locale in self.languages
        ]


def news_form(languages: list[str], main: str, **kwargs: object) -> NewsForm:
    """A form with a subject and body field per language of `languages`."""

    class CampaignNewsForm(NewsForm):
        pass

    ordered = ordered_languages(languages, main)
    for locale in ordered:
        suffix = field_suffix(locale, main)
        setattr(
            CampaignNewsForm,
            f"subject{suffix}",
            StringField(_l("Subject"), validators=[Length(max=SUBJECT_MAX)]),
        )
        setattr(
            CampaignNewsForm,
            f"body{suffix}",
            TextAreaField(_l("Message (Markdown)"), validators=[Length(max=BODY_MAX)]),
        )
    form = CampaignNewsForm(**kwargs)
    form.languages = ordered
    form.main = main
    return form


class TestSendForm(FlaskForm):
    locale = SelectField(_l("Language of the test"))


class SendForm(FlaskForm):
    """Only the CSRF token: the news' state, not the form, guards against a second send."""

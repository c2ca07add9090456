"""The signing form's labels in one language, as the browser tests look for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormWords:
    lang: str
    locale: str
    first_name: str
    last_name: str
    email: str
    country: str

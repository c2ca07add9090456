"""The consent wording shown beside the form, versioned.

Every signature stores the version it was given (`Signature.consent_version`) with the time
(`Signature.signed_at`). The version covers the sentence beside the form, the opt-in label
and the privacy notice it links to: change any of them and add a new version here, keeping
the old one in `PAST_WORDINGS`, so what a supporter agreed to can always be shown again.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class ConsentWording:
    version: str
    statement: str | LazyString  # beside the form, just above the button
    opt_in_label: str | LazyString  # the separate, never pre-ticked "keep me informed" box


CURRENT_WORDING = ConsentWording(
    version="2026-11-28.2",
    statement=_l(
        "By signing, you agree that we keep your name, email address, country and postcode "
        "to count your signature and deliver the petition. We send you one email to confirm "
        "it. We send you news only if you tick the box above, and every email has a link to "
        "stop them or to delete your signature."
    ),
    opt_in_label=_l("Keep me informed about this campaign by email"),
)

CONSENT_VERSION = CURRENT_WORDING.version

# Wordings no longer shown, as they were in English (other languages: the translation
# catalogues at the same point in the repository's history).
PAST_WORDINGS = {
    "2026-11-28": ConsentWording(
        version="2026-11-28",
        statement=(
            "By signing, you agree that we keep your name, email address and country to "
            "count and deliver your signature. We send you one email to confirm it. We will "
            "only send you news if you tick the box above."
        ),
        opt_in_label="Keep me informed about this campaign by email",
    ),
}


def wording_for(version: str) -> ConsentWording | None:
    """The wording a signature with this consent version was given, if we know it."""
    if version == CURRENT_WORDING.version:
        return CURRENT_WORDING
    return PAST_WORDINGS.get(version)

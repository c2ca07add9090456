"""The delivery report as a PDF, drawn by WeasyPrint from templates/closing/report_pdf.html.

WeasyPrint lays out a whole document in memory, and at about a millisecond a name a list of
a hundred thousand signers would hold gigabytes. So the report is drawn in parts: the report
itself, then the names in batches of `NAMES_PER_PART`, each batch a document of its own
whose pages are numbered on from the last; the parts are joined page by page (pypdf) into
the file. Memory stays that of one batch, whatever the campaign's size (see
docs/organisers.md for the times measured).

Nothing is fetched while drawing: the logo goes in as a `data:` URL, the fonts are the
system's (DejaVu, from Debian), and any other URL is refused.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby, islice
from typing import IO, TYPE_CHECKING

from flask import render_template
from flask_babel import get_locale

from campaign.branding.services import Identity
from campaign.countries import country_name
from campaign.dashboard.report import DeliveryReport, Signer

# WeasyPrint (and the fonts and Pango it loads) and pypdf are imported when a report is
# drawn, not when the app starts: they were half of every process's start-up and a sixth of
# its memory.
if TYPE_CHECKING:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

NAMES_PER_PART = 5000

# WeasyPrint reports every CSS property it skips at WARNING; none of ours matters.
for _name in ("weasyprint", "weasyprint.progress"):
    logging.getLogger(_name).setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


@dataclass(frozen=True)
class ReportOptions:
    identity: Identity
    logo: bytes | None  # the organisation's logo (PNG), when it has one


@dataclass(frozen=True)
class CountryNames:
    """A run of one country's signers within a part; `continued` if it began before."""

    country: str
    continued: bool
    names: list[str]


def _fetcher() -> URLFetcher:
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=["data"], allow_redirects=False)


def _document(template: str, **context: object) -> HTML:
    from weasyprint import HTML

    html = render_template(template, **context)
    return HTML(string=html, url_fetcher=_fetcher(), base_url="data:,")


def _groups(batch: Iterable[Signer], previous: str | None, locale: str) -> list[CountryNames]:
    groups = []
    for country, signers in groupby(batch, key=lambda signer: signer.country):
        names = [f"{signer.first_name} {signer.last_name}".strip() for signer in signers]
        groups.append(CountryNames(country_name(country, locale), country == previous, names))
        previous = country
    return groups


def write_report_pdf(
    report: DeliveryReport,
    options: ReportOptions,
    names: Iterator[Signer] | None,
    out: IO[bytes],
    names_per_part: int | None = None,
) -> int:
    """Write the report to `out`, with the signers' names after it when `names` is given;
    how many names were listed."""
    locale = str(get_locale())
    logo = (
        "data:image/png;base64," + base64.b64encode(options.logo).decode("ascii")
        if options.logo
        else None
    )
    common = {"report": report, "identity": options.identity, "logo": logo}
    front = _document(
        "closing/report_pdf.html",
        **common,
        with_names=names is not None and report.tally.signature_count > 0,
        first_page=1,
    ).render()
    if names is None:
        front.write_pdf(out)
        return 0

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(front.write_pdf())))
    next_page = len(front.pages) + 1
    del front
    listed, previous = 0, None
    per_part = names_per_part or NAMES_PER_PART
    while batch := list(islice(names, per_part)):
        part = _document(
            "closing/report_names_pdf.html",
            **common,
            groups=_groups(batch, previous, locale),
            first_page=next_page,
            first_part=listed == 0,
        ).render()
        next_page += len(part.pages)
        writer.append(PdfReader(io.BytesIO(part.write_pdf())))
        listed += len(batch)
        previous = batch[-1].country
    writer.write(out)
    return listed

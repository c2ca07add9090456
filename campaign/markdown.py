"""Organisers' Markdown as safe HTML: the one sanitiser for text written in the browser.

Markdown makes the HTML (raw HTML typed into the text is not passed through), then nh3
(the Ammonia sanitiser) keeps only the tags Markdown makes and the link schemes a reader
can follow safely: no script, no event handler, no style, no `javascript:` or `data:` link.
Both steps, because each alone has known gaps (Markdown escapes raw HTML but writes any
link target it is given; a sanitiser alone would let organisers write any HTML).
"""

from __future__ import annotations

import markdown as markdown_library
import nh3
from markupsafe import Markup

# What Markdown makes, nothing more.
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h2",
        "h3",
        "h4",
        "em",
        "strong",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise(html: str) -> str:
    """HTML reduced to the tags, attributes and link schemes above; links get
    `rel="noopener noreferrer nofollow"`."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> Markup:
    """An organiser's Markdown as sanitised HTML, safe to put in a page or an email."""
    converter = markdown_library.Markdown(extensions=["smarty"], output_format="html")
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    return Markup(sanitise(converter.convert(text)))  # noqa: S704 (sanitised just above)

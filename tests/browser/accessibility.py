"""Checks any page can be put through in the browser tests: axe-core (WCAG 2.2 A and AA), no
horizontal scrolling, visible keyboard focus, and the page weight budget.

To check a new page (the organiser pages, say), open it in a `visit` and call
`assert_accessible(visit.page)`; at a phone width, `assert_fits_the_width(visit.page)` too.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now.

    Injected with `evaluate` (the DevTools protocol), not a <script> tag, so a strict
    Content-Security-Policy on the page neither blocks it nor needs loosening for it. Run
    once the document has loaded: a click or a locator returns as soon as the new page's
    elements are there, and before its stylesheet has arrived every link is a bare line of
    text, too small a target (seen on a loaded machine).
    """
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines += [f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"]]
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """No axe-core violation of WCAG 2.2 A/AA (or axe's best practices) on the page."""
    violations = axe_violations(page)
    assert violations == [], f"{page.url}:\n{describe(violations)}"


def assert_fits_the_width(page: Any) -> None:
    """Nothing scrolls sideways (WCAG 1.4.10 Reflow: 320 CSS px, as at 400 % zoom), except
    inside a region made to scroll sideways (a data table, which reflow allows)."""
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const scrolls = (e) => {
                for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                    const o = getComputedStyle(p).overflowX;
                    if (o === 'auto' || o === 'scroll') return true;
                }
                return false;
            };
            const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 1
                             && !e.closest('[aria-hidden="true"]') && !scrolls(e))
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                          + (e.className ? '.' + e.className : ''));
            return {scroll: document.documentElement.scrollWidth, width, wide};
        }"""
    )
    assert overflow["scroll"] <= overflow["width"], f"{page.url} scrolls sideways: {overflow}"
    assert overflow["wide"] == [], f"{page.url}: wider than the screen: {overflow}"


def assert_focus_always_visible(page: Any, most: int = 60) -> int:
    """Tab through the page: every element that takes focus shows it (WCAG 2.4.7).

    Returns how many elements were reached.
    """
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen: list[str] = []
    for _ in range(most):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => {
                const e = document.activeElement;
                if (!e || e === document.body) return null;
                const style = getComputedStyle(e);
                const box = e.getBoundingClientRect();
                return {
                    name: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                          + ' ' + (e.textContent || '').trim().slice(0, 30),
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                    shadow: style.boxShadow !== 'none',
                    size: [box.width, box.height],
                };
            }"""
        )
        if focus is None or (seen and focus["name"] == seen[0]):
            break
        assert focus["outline"] or focus["shadow"], f"no visible focus on {focus['name']}"
        seen.append(focus["name"])
    return len(seen)


def page_weight(responses: list[Any]) -> dict[str, int]:
    """Bytes of HTML, CSS and JS as the page loaded them, gzip-compressed as a server would."""
    weight: dict[str, int] = {}
    for response in responses:
        kind = response.request.resource_type
        if kind in ("document", "stylesheet", "script"):
            weight[response.url] = len(gzip.compress(response.body(), compresslevel=6))
    return weight


def render_blocking_scripts(page: Any) -> list[str]:
    """Scripts that stop the page from showing until they run: any without defer or async,
    and any inline script (a strict Content-Security-Policy forbids those anyway)."""
    return json.loads(
        page.evaluate(
            """() => JSON.stringify([...document.scripts]
                .filter(s => !s.src || !(s.defer || s.async || s.type === 'module'))
                .map(s => s.outerHTML.slice(0, 120)))"""
        )
    )


def check_page(browsing: Any, name: str, lang: str) -> None:
    """The page as it is: its language, axe-core, and no horizontal scrolling at 320 px
    (with a screenshot, `name`); back to desktop width after."""
    page = browsing.page
    # After a click the URL changes before the new document is there: wait for it.
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.documentElement.lang") == lang
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert_fits_the_width(page)
    browsing.screenshot(name)
    page.set_viewport_size({"width": 1280, "height": 800})


def visit_page(browsing: Any, path: str, lang: str, name: str, status: int = 200) -> None:
    """Open `path` in `lang`, expect `status`, and check the page (check_page)."""
    separator = "&" if "?" in path else "?"
    response = browsing.page.goto(f"{path}{separator}lang={lang}")
    assert response is not None and response.status == status, (name, response)
    check_page(browsing, name, lang)

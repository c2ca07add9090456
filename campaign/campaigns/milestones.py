"""A campaign's milestones: the counts organisers aim at, each with what happens there
("10,000: we deliver it to the ministry"), and the goal the public page shows.

Stored as checked JSON on the campaign (`Campaign.milestones`), so the public page reads
them with the campaign it already has, without another query:

    [{"count": 10000, "texts": {"en": "we deliver it to the ministry", "fr": "…"}}, …]

When the count passes the campaign's goal, the page shows the next milestone above the
count as its goal ("help us reach 50,000"). When each was passed is worked out from the
confirmation times (dashboard/milestones.py), never recorded while confirming.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_MILESTONES = 20
MAX_MILESTONE_TEXT = 200
MAX_COUNT = 1_000_000_000


class MilestonesError(ValueError):
    """Milestones that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Milestone:
    count: int
    texts: dict[str, str]  # by language; the campaign's own language at least

    def text(self, locale: str, fallback: str) -> tuple[str, str]:
        """The text in `locale`, else in the campaign's language (`fallback`): (text, its
        language), so the page can mark a fallback with `lang`."""
        return text_in(self.texts, locale, fallback)


def text_in(texts: Mapping[str, str], locale: str, fallback: str) -> tuple[str, str]:
    """A text by language: `locale`'s, else `fallback`'s, else any: (text, its language)."""
    for language in (locale, fallback, *sorted(texts)):
        if texts.get(language):
            return texts[language], language
    return "", fallback


def campaign_milestones(stored: Iterable[Mapping[str, Any]] | None) -> list[Milestone]:
    """The stored JSON as milestones, lowest count first (what was stored was checked)."""
    milestones = [
        Milestone(count=int(item["count"]), texts=dict(item.get("texts") or {}))
        for item in stored or ()
    ]
    return sorted(milestones, key=lambda milestone: milestone.count)


def checked_milestones(milestones: Iterable[Milestone], main_locale: str) -> list[Milestone]:
    """Milestones fit to store: each count once, from 1 to a billion, with a text in the
    campaign's own language; texts trimmed, empty ones dropped. Raises MilestonesError."""
    result: dict[int, Milestone] = {}
    for milestone in milestones:
        if not 0 < milestone.count <= MAX_COUNT:
            raise MilestonesError("count")
        if milestone.count in result:
            raise MilestonesError("duplicate")
        texts = {
            language: " ".join(text.split())
            for language, text in milestone.texts.items()
            if text and text.strip()
        }
        if any(len(text) > MAX_MILESTONE_TEXT for text in texts.values()):
            raise MilestonesError("length")
        if not texts.get(main_locale):
            raise MilestonesError("text")
        result[milestone.count] = Milestone(count=milestone.count, texts=texts)
    if len(result) > MAX_MILESTONES:
        raise MilestonesError("too-many")
    return sorted(result.values(), key=lambda milestone: milestone.count)


def milestones_to_json(milestones: Iterable[Milestone]) -> list[dict[str, Any]] | None:
    stored = [{"count": m.count, "texts": dict(sorted(m.texts.items()))} for m in milestones]
    return stored or None


@dataclass(frozen=True)
class ShownGoal:
    """The goal the public sees now, and the milestone it is, if it is one."""

    goal: int
    milestone: Milestone | None
    # The campaign's own goal was passed, and this is the next milestone above the count.
    raised: bool
    passed_goal: int  # the campaign's own goal (what was passed, when `raised`)


def shown_goal(goal: int, milestones: Iterable[Milestone], count: int) -> ShownGoal:
    """Below the goal: the goal. Past it: the next milestone above the count; past every
    milestone too: the highest of them (or the goal), reached."""
    by_count = {milestone.count: milestone for milestone in milestones}
    if count < goal:
        return ShownGoal(goal, by_count.get(goal), raised=False, passed_goal=goal)
    above = sorted(n for n in by_count if n > count and n > goal)
    if above:
        return ShownGoal(above[0], by_count[above[0]], raised=True, passed_goal=goal)
    highest = max([goal, *by_count])
    return ShownGoal(highest, by_count.get(highest), raised=highest > goal, passed_goal=goal)


def campaign_shown_goal(campaign: Any, count: int) -> ShownGoal:
    """`shown_goal` for a campaign (its goal and milestones), as templates call it."""
    return shown_goal(campaign.goal, campaign_milestones(campaign.milestones), count)

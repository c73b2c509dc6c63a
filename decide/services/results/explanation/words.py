"""Shared wording for the explanations: amounts in the engine's text, counts, ordinals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ballots.wording import money, plural
from decide.services.results.election import Election

_MONEY_RE = re.compile(r"(budget of|at least|at most) (-?\d+(?:\.\d+)?(?:/\d+)?)(?![\d%/]|\.\d)")


def money_in_text(text: str, currency: str = "GBP") -> str:
    """Rewrite the engine's amounts in pence ('at least 2500000') as pounds ('£25,000.00')."""
    return _MONEY_RE.sub(lambda m: f"{m.group(1)} {money(Fraction(m.group(2)), currency)}", text)


def supporters_of(election: Election) -> dict[str, int]:
    """Return each project's number of supporters (ballots that approve it)."""
    counts = dict.fromkeys(election.instance.project_ids, 0)
    for b in election.profile.ballots:
        for code in b.approved:
            if code in counts:
                counts[code] += 1
    return counts


def points_of(election: Election) -> dict[str, int]:
    """Return each project's total points (cumulative and scoring ballots)."""
    totals = dict.fromkeys(election.instance.project_ids, 0)
    for b in election.profile.ballots:
        for code, pts in b.points_by_project.items():
            if code in totals:
                totals[code] += pts
    return totals


_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)


def nth(i: int) -> str:
    """Return the ordinal word for a 0-based position ('first', ..., 'number 11')."""
    return _ORDINALS[i] if i < len(_ORDINALS) else f"number {i + 1}"


def people(n: int, one: str = "supporter", many: str = "supporters") -> str:
    """Return 'n supporter(s)' (or another noun)."""
    return plural(n, one, many)


def quoted(election: Election, code: str) -> str:
    """Return a project's title in single quotes (its code when it has no title)."""
    return f"\u2018{election.titles.get(code, code)}\u2019"


@dataclass
class Words:
    """The paragraphs one rule's explanation adds: opening sentences and numbered steps."""

    intro: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

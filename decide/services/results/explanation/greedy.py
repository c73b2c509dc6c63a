"""Explaining greedy: projects in order of support, each funded if it still fitted."""

from __future__ import annotations

from ballots.wording import money, plural
from decide.allocation import GreedyStep, Outcome
from decide.services.results.election import Election
from decide.services.results.explanation.words import (
    Words,
    people,
    points_of,
    quoted,
    supporters_of,
)


def explain_greedy(election: Election, outcome: Outcome) -> Words:
    """Explain a greedy outcome from its steps (points per pound for cardinal ballots)."""
    c = election.currency
    cardinal = election.profile.vote_type in ("cumulative", "scoring")
    words = Words()
    order = "points per pound of cost" if cardinal else "number of supporters"
    words.intro.append(
        f"Projects were taken in order of their {order}; each was funded if "
        "it still fitted in the money left, otherwise skipped."
    )
    points = points_of(election) if cardinal else {}
    supporters = {} if cardinal else supporters_of(election)
    for s in (s for s in outcome.steps if isinstance(s, GreedyStep)):
        votes = (
            plural(points.get(s.project, 0), "point")
            if cardinal
            else people(supporters.get(s.project, 0))
        )
        head = f"{quoted(election, s.project)} ({votes}, {money(s.cost, c)}) was"
        left = money(s.remaining_after, c)
        if s.funded:
            words.steps.append(f"{head} funded; {left} was left.")
        else:
            words.steps.append(f"{head} skipped: only {left} was left.")
    return words

"""Explaining sequential Phragmén: each project funded, and the load its supporters carry."""

from __future__ import annotations

from ballots.wording import money
from decide.allocation import Outcome, PhragmenRound
from decide.services.results.election import Election
from decide.services.results.explanation.words import Words, nth, people, quoted


def explain_phragmen(election: Election, outcome: Outcome) -> Words:
    """Explain a Phragmén outcome from its rounds."""
    c = election.currency
    words = Words()
    words.intro.append(
        "Supporters share the cost of each project they get. At each step the project "
        "funded is the one that keeps the largest amount any one supporter carries as "
        "small as possible."
    )
    for i, r in enumerate(s for s in outcome.steps if isinstance(s, PhragmenRound)):
        load = f"; each supporter now carries {money(r.load, c)}" if r.load is not None else ""
        words.steps.append(
            f"{quoted(election, r.project)} ({money(r.cost, c)}, "
            f"{people(r.supporters)}) was funded {nth(i)}{load}."
        )
    return words

"""The outcome in plain words: one module per kind of step the rules record.

`explain(election, outcome)` picks the module for the outcome's rule (equal shares, greedy,
Phragmén, or the integer programs) and adds the notes every outcome shares: ranked ballots,
the tie-break, and the money allocated and left over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ballots.wording import money
from decide.allocation import Outcome
from decide.services.results.election import Election
from decide.services.results.explanation.equal_shares import explain_equal_shares
from decide.services.results.explanation.greedy import explain_greedy
from decide.services.results.explanation.phragmen import explain_phragmen
from decide.services.results.explanation.programs import explain_program
from decide.services.results.explanation.words import Words, money_in_text

EXPLAINERS: dict[str, Callable[[Election, Outcome], Words]] = {
    "equal-shares": explain_equal_shares,
    "greedy": explain_greedy,
    "phragmen": explain_phragmen,
    "utilitarian": explain_program,
    "equity": explain_program,
}


@dataclass(frozen=True)
class Explanation:
    """The outcome in plain words: an opening paragraph, numbered steps, closing notes."""

    intro: tuple[str, ...]
    steps: tuple[str, ...]
    notes: tuple[str, ...]


def explain(election: Election, outcome: Outcome) -> Explanation:
    """Explain the outcome in plain words, step by step, from its recorded steps."""
    c = election.currency
    explainer = EXPLAINERS.get(outcome.rule)
    words = explainer(election, outcome) if explainer else Words()
    notes: list[str] = []
    if election.profile.vote_type == "ordinal":
        notes.append(
            "This round used ranked ballots. The allocation rules treat a ranked ballot as "
            "support for every project it ranks, whatever its place."
        )
    notes.append(f"Ties between projects: {outcome.tie_break.describe()}.")
    notes.append(
        f"{money(outcome.spent, c)} of {money(outcome.budget, c)} is allocated; "
        f"{money(outcome.leftover, c)} is left over."
    )
    return Explanation(tuple(words.intro), tuple(words.steps), tuple(notes))


__all__ = ["Explanation", "explain", "money_in_text"]

"""Explaining the integer programs (utilitarian, equity): the limits that shaped the result."""

from __future__ import annotations

from ballots.wording import money
from decide.allocation import Outcome
from decide.services.results.election import Election
from decide.services.results.explanation.words import (
    Words,
    money_in_text,
    people,
    quoted,
    supporters_of,
)

_UTILITARIAN = (
    "The funded projects are the combination within the budget with the greatest "
    "total support, counting each supporter of a project once for every pound it "
    "costs."
)
_EQUITY = (
    "The funded projects are the combination with the most supporters in total "
    "that also meets the equity settings: a guaranteed floor of money for the "
    "most deprived areas, caps per organisation and shares per theme."
)


def _constraint_steps(outcome: Outcome, currency: str) -> list[str]:
    program = outcome.program
    if program is None:
        return []
    if program.status == "infeasible":
        return [money_in_text(" ".join(outcome.notes), currency)]
    steps = []
    for con in program.constraints:
        words = money_in_text(con.description, currency)
        if con.binding:
            cost = ""
            if con.price and outcome.rule == "equity" and con.name != "budget":
                cost = (
                    f" Without it, {int(con.price):,} more "
                    f"{'supporter' if con.price == 1 else 'supporters'} would have been "
                    "served."
                )
            steps.append(f"This limit shaped the result: {words}.{cost}")
        elif con.name.startswith("floor:"):
            steps.append(f"Met with room to spare: {words}.")
    return steps


def explain_program(election: Election, outcome: Outcome) -> Words:
    """Explain a utilitarian or equity outcome: its binding limits, then the funded projects."""
    c = election.currency
    supporters = supporters_of(election)
    words = Words()
    words.intro.append(_UTILITARIAN if outcome.rule == "utilitarian" else _EQUITY)
    words.steps.extend(_constraint_steps(outcome, c))
    for code in outcome.selected:
        words.steps.append(
            f"Funded: {quoted(election, code)} ({money(election.cost(code), c)}, "
            f"{people(supporters.get(code, 0))})."
        )
    return words

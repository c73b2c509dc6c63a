"""Explaining equal shares: the voters' equal budgets, who paid for each project, completion."""

from __future__ import annotations

from fractions import Fraction

from ballots.wording import money, plural
from decide.allocation import GreedyStep, MesRound, Outcome, Payment
from decide.services.results.election import Election
from decide.services.results.explanation.words import Words, nth, people, quoted


def _paid(payments: tuple[Payment, ...], currency: str) -> str:
    payers = sum(p.voters for p in payments)
    groups = sorted(payments, key=lambda p: (-p.voters, p.amount))
    if len(groups) == 1:
        if payers == 1:
            return f"its one supporter paid {money(groups[0].amount, currency)}"
        return f"its {people(payers)} paid {money(groups[0].amount, currency)} each"
    parts = [
        f"{people(p.voters, 'voter', 'voters')} paid {money(p.amount, currency)}"
        for p in groups[:4]
    ]
    more = len(groups) - 4
    tail = f" and {plural(more, 'more group')} paid other amounts" if more > 0 else ""
    return (
        f"its {people(payers)} shared the cost: "
        + "; ".join(parts)
        + tail
        + " (those with less left paid all they had)"
    )


def explain_equal_shares(election: Election, outcome: Outcome) -> Words:
    """Explain an equal-shares outcome from its rounds and completion steps."""
    c = election.currency
    n = election.voters
    words = Words()
    per_voter = Fraction(str(outcome.details.get("mes_budget_per_voter", "0")))
    base = election.instance.budget / n if n else Fraction(0)
    voters, each = ("the one voter", "they") if n == 1 else (f"the {n:,} voters", "each")
    words.intro.append(
        f"The budget of {money(election.instance.budget, c)} was shared equally between "
        f"{voters}: {each} had {money(base, c)} to spend on the projects they supported."
    )
    if per_voter > base:
        words.intro.append(
            f"So that the money would be used as fully as possible, each voter's share was "
            f"raised step by step to {money(per_voter, c)} "
            "before counting; this never lets the funded projects cost more than the budget."
        )
    for i, r in enumerate(s for s in outcome.steps if isinstance(s, MesRound)):
        words.steps.append(
            f"{quoted(election, r.project)} ({money(r.cost, c)}) was funded "
            f"{nth(i)}: {_paid(r.payments, c)}."
        )
    funded = [
        s
        for s in outcome.steps
        if isinstance(s, GreedyStep) and s.phase == "completion" and s.funded
    ]
    if funded:
        words.steps.append(
            "Some money was left that no group of supporters could use together, so it "
            "went to the most supported projects that still fitted: "
            + ", ".join(quoted(election, s.project) for s in funded)
            + "."
        )
    return words

"""Values shared by every allocation rule: tie-breaks, outcomes, steps, and ballot usage.

An `Outcome` is a frozen value: the funded projects with their amounts, the money spent and
left over, the tie-break used, and the steps that explain the result. `Outcome.to_json_dict()`
holds only strings, integers, booleans, lists and dicts (every Fraction as an exact string),
so that audits can hash it canonically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from fractions import Fraction
from typing import Any, Literal

from ballots.model import Ballot, Instance
from ballots.pabulib import format_decimal

TieBreakKind = Literal["lex", "lottery"]


@dataclass(frozen=True)
class TieBreak:
    """How ties between projects are broken.

    ``lex`` is pabutools' default: the smaller project id, compared as strings, wins (so
    ``"10"`` beats ``"9"``). ``lottery`` orders projects by ``sha256(seed + id)``; the seed is
    chosen and recorded by the caller, so anyone can recompute the order.
    """

    kind: TieBreakKind = "lex"
    seed: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("lex", "lottery"):
            raise ValueError(f"unknown tie-break {self.kind!r}; use 'lex' or 'lottery'")
        if self.kind == "lottery" and not self.seed:
            raise ValueError("a lottery tie-break needs a seed")
        if self.kind == "lex" and self.seed is not None:
            raise ValueError("the lexicographic tie-break takes no seed")

    def key(self, project_id: str) -> str:
        """Return the sort key of a project: smaller keys win ties."""
        if self.kind == "lex":
            return project_id
        digest = hashlib.sha256((str(self.seed) + project_id).encode("utf-8")).hexdigest()
        return digest + project_id

    def order(self, project_ids: list[str] | tuple[str, ...]) -> list[str]:
        """Return the project ids sorted from the first to the last in tie-break order."""
        return sorted(project_ids, key=self.key)

    def describe(self) -> str:
        """Say in words how ties are broken."""
        if self.kind == "lex":
            # Ids compare as text, as pabutools does, so "P10" comes before "P2".
            return (
                "ties go to the project whose number comes first in dictionary order "
                "(so P10 comes before P2)"
            )
        return f"ties are settled by a lottery drawn from the recorded seed {self.seed!r}"


LEX = TieBreak()


# The `phase` of the greedy steps that complete equal shares; a plain greedy rule's are "greedy".
COMPLETION = "completion"


@dataclass(frozen=True)
class GreedyStep:
    """One project considered by greedy: its score, and whether it was funded or skipped."""

    project: str
    score: Fraction | None
    cost: Fraction
    funded: bool
    remaining_after: Fraction
    phase: str = "greedy"

    @property
    def completes_equal_shares(self) -> bool:
        """Return True for a step of the greedy completion that follows equal shares."""
        return self.phase == COMPLETION


@dataclass(frozen=True)
class Payment:
    """Under equal shares: `voters` supporters each paid `amount` for one project."""

    amount: Fraction
    voters: int


@dataclass(frozen=True)
class MesRound:
    """One round of the Method of Equal Shares.

    `rho` is the price per unit of satisfaction (with cost satisfaction a supporter who can
    afford it pays ``rho * cost``); `payments` groups the supporters by what they paid.
    """

    project: str
    cost: Fraction
    rho: Fraction
    payments: tuple[Payment, ...]


@dataclass(frozen=True)
class PhragmenRound:
    """One round of sequential Phragmén: the project bought and the supporters' new load."""

    project: str
    cost: Fraction
    load: Fraction | None
    supporters: int


@dataclass(frozen=True)
class ConstraintReport:
    """A constraint of an integer program: whether it binds, and its price in support.

    `price` is the support gained if the constraint were removed (a re-solve difference), or
    None when it was not computed.
    """

    name: str
    description: str
    binding: bool
    slack: Fraction
    price: Fraction | None = None


@dataclass(frozen=True)
class ProgramReport:
    """What an integer program found: objective, constraints, and any conflict."""

    objective: Fraction
    status: str
    constraints: tuple[ConstraintReport, ...] = ()
    conflicts: tuple[str, ...] = ()
    tie_break_note: str = ""


Step = GreedyStep | MesRound | PhragmenRound


@dataclass(frozen=True)
class Outcome:
    """The result of an allocation rule, with the steps that explain it.

    `selected` lists the funded project ids in the order the rule funded them; `amounts` maps
    each to the money it receives (its cost). `details` holds rule-specific values (for
    example the Add1 per-voter budget reached under equal shares) as strings and integers.
    """

    rule: str
    selected: tuple[str, ...]
    amounts: Mapping[str, Fraction]
    budget: Fraction
    spent: Fraction
    tie_break: TieBreak
    steps: tuple[Step, ...] = ()
    program: ProgramReport | None = None
    notes: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def leftover(self) -> Fraction:
        """Return the budget not spent."""
        return self.budget - self.spent

    @property
    def selected_sorted(self) -> tuple[str, ...]:
        """Return the funded project ids sorted as strings."""
        return tuple(sorted(self.selected))

    def to_json_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-ready data: strings, integers, booleans, lists, dicts."""
        return {
            "rule": self.rule,
            "selected": list(self.selected),
            "selected_sorted": list(self.selected_sorted),
            "amounts": {k: _jsonable(v) for k, v in sorted(self.amounts.items())},
            "budget": _jsonable(self.budget),
            "spent": _jsonable(self.spent),
            "leftover": _jsonable(self.leftover),
            "tie_break": {"kind": self.tie_break.kind, "seed": self.tie_break.seed},
            "steps": [dict(kind=type(s).__name__, **_jsonable(s)) for s in self.steps],
            "program": _jsonable(self.program),
            "notes": list(self.notes),
            "details": _jsonable(dict(self.details)),
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Fraction):
        return fraction_text(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    raise TypeError(f"cannot put {type(value).__name__} in an outcome")


def fraction_text(x: Fraction) -> str:
    """Write a Fraction exactly: a decimal when it has one (``"12.5"``), else ``"n/d"``."""
    try:
        return format_decimal(x)
    except ValueError:
        return f"{x.numerator}/{x.denominator}"


Rule = Callable[..., Outcome]
"""A rule: ``rule(instance, profile, *, tie_break=LEX, **options) -> Outcome``."""


def make_outcome(
    rule: str,
    instance: Instance,
    selected: list[str],
    tie_break: TieBreak,
    **extra: Any,
) -> Outcome:
    """Build an Outcome whose amounts are the selected projects' costs."""
    costs = {p.id: p.cost for p in instance.projects}
    amounts = {pid: costs[pid] for pid in selected}
    return Outcome(
        rule=rule,
        selected=tuple(selected),
        amounts=amounts,
        budget=instance.budget,
        spent=sum(amounts.values(), Fraction(0)),
        tie_break=tie_break,
        **extra,
    )


@dataclass(frozen=True)
class FundedShare:
    """One funded project a voter supported, and the money they helped direct to it."""

    project: str
    cost: Fraction
    share: Fraction
    basis: str


@dataclass(frozen=True)
class BallotUsage:
    """How one ballot was used: the funded projects it supported and the money it directed."""

    rule: str
    supported_funded: tuple[FundedShare, ...]
    supported_not_funded: tuple[str, ...]
    total: Fraction
    explanation: str


def ballot_usage(outcome: Outcome, instance: Instance, ballot: Ballot) -> BallotUsage:
    """Say how one ballot was used by an outcome.

    Under equal shares the share is what this voter paid, replayed from the recorded rounds;
    under any other rule it is the project's cost divided by its number of supporters.
    """
    listed = set(ballot.projects)
    unknown = listed - set(instance.project_ids)
    if unknown:
        raise ValueError(f"ballot lists unknown projects: {', '.join(sorted(unknown))}")
    costs = {p.id: p.cost for p in instance.projects}
    shares: list[FundedShare] = []
    mes_rounds = [s for s in outcome.steps if isinstance(s, MesRound)]
    start = outcome.details.get("mes_budget_per_voter")
    paid: dict[str, Fraction] = {}
    if mes_rounds and start is not None:
        budget = Fraction(start)
        points = dict(zip(ballot.projects, ballot.points)) if ballot.points else {}
        cost_sat = outcome.details.get("satisfaction", "cost") == "cost"
        for r in mes_rounds:
            if r.project in listed:
                sat = r.cost if cost_sat else Fraction(points.get(r.project, 0))
                if sat > 0:
                    pay = min(budget, r.rho * sat)
                    paid[r.project] = pay
                    budget -= pay
    supporters = outcome.details.get("supporters", {})
    for pid in outcome.selected:
        if pid not in listed:
            continue
        if pid in paid:
            shares.append(FundedShare(pid, costs[pid], paid[pid], "paid under equal shares"))
        else:
            n = int(supporters.get(pid, 0))
            share = costs[pid] / n if n else Fraction(0)
            shares.append(FundedShare(pid, costs[pid], share, "cost divided by supporters"))
    not_funded = tuple(sorted(listed - set(outcome.selected)))
    total = sum((s.share for s in shares), Fraction(0))
    if paid:
        text = (
            "Under equal shares every voter received the same share of the budget; this is what "
            "your share paid towards the funded projects you supported."
        )
    else:
        text = (
            "For each funded project you supported, your part is its cost divided by the number "
            "of voters who supported it."
        )
    return BallotUsage(outcome.rule, tuple(shares), not_funded, total, text)

"""Running the allocation rules on an election, and summarising what each gives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from decide.allocation import RULES, Outcome, TieBreak, options_from_json
from decide.models import ALLOCATION_RULES
from decide.services.results.election import Election, ResultsError, pence_int
from decide.services.results.equity import EquitySpec, equity_params_to_json
from decide.services.results.explanation.words import money_in_text

RULE_ORDER = ("greedy", "equal-shares", "phragmen", "utilitarian", "equity")
NO_AREA = "No area"


def rule_parameters(rule: str, election: Election, spec: EquitySpec | None) -> dict[str, Any]:
    """Return the rule's parameters as JSON values (empty for every rule but equity)."""
    if rule != "equity":
        return {}
    return {"params": equity_params_to_json(election.equity_params(spec or EquitySpec()))}


def rule_options(rule: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Return the keyword options to call the rule with, from its JSON parameters."""
    return options_from_json(rule, parameters)


def run_rule(
    election: Election,
    rule: str,
    *,
    parameters: Mapping[str, Any] | None = None,
    tie_break: TieBreak | None = None,
) -> Outcome:
    """Run one allocation rule on the election with JSON parameters."""
    if rule not in RULES:
        raise ResultsError(f"Unknown allocation rule {rule!r}.")
    options = rule_options(rule, parameters or {})
    return RULES[rule](
        election.instance, election.profile, tie_break=tie_break or TieBreak(), **options
    )


@dataclass(frozen=True)
class Bar:
    """One bar of a funds chart: label, amount in pence, and its share of the largest bar."""

    label: str
    pence: int
    detail: str = ""


@dataclass(frozen=True)
class RuleSummary:
    """What one rule gives on a round, for the compare page and the results page."""

    rule: str
    label: str
    outcome: Outcome
    funded: tuple[str, ...]
    spent: int
    leftover: int
    voters_with_funded: int
    voters: int
    by_area: tuple[Bar, ...]
    by_decile: tuple[Bar, ...]
    feasible: bool = True
    problem: str = ""

    @property
    def share_percent(self) -> str:
        """Return the share of voters with at least one funded project, as a percentage."""
        if not self.voters:
            return "0%"
        return f"{round(Fraction(self.voters_with_funded * 100, self.voters))}%"


def summarise(election: Election, outcome: Outcome) -> RuleSummary:
    """Return the funded projects, reach, funds per area and decile, and leftover."""
    selected = set(outcome.selected)
    reached = sum(1 for b in election.profile.ballots if selected & b.approved)
    area_totals: dict[str, Fraction] = {a.id: Fraction(0) for a in election.areas}
    no_area = Fraction(0)
    for code in outcome.selected:
        amount = Fraction(outcome.amounts[code])
        area_id = election.project_area.get(code)
        if area_id in area_totals:
            area_totals[area_id] += amount
        else:
            no_area += amount
    by_area = [
        Bar(a.name, pence_int(area_totals[a.id]), f"decile {a.decile}") for a in election.areas
    ]
    if no_area:
        by_area.append(Bar(NO_AREA, pence_int(no_area), ""))
    deciles: dict[int, Fraction] = {}
    for a in election.areas:
        deciles[a.decile] = deciles.get(a.decile, Fraction(0)) + area_totals[a.id]
    by_decile = [
        Bar(
            f"Decile {d}",
            pence_int(v),
            ", ".join(a.name for a in election.areas if a.decile == d),
        )
        for d, v in sorted(deciles.items())
    ]
    feasible = outcome.program is None or outcome.program.status != "infeasible"
    problem = "" if feasible else money_in_text(" ".join(outcome.notes), election.currency)
    return RuleSummary(
        rule=outcome.rule,
        label=ALLOCATION_RULES.get(outcome.rule, outcome.rule),
        outcome=outcome,
        funded=tuple(outcome.selected),
        spent=pence_int(outcome.spent),
        leftover=pence_int(outcome.leftover),
        voters_with_funded=reached,
        voters=election.voters,
        by_area=tuple(by_area),
        by_decile=tuple(by_decile),
        feasible=feasible,
        problem=problem,
    )


# England's deprivation deciles 1 to 5: the more deprived half of its neighbourhoods.
MORE_DEPRIVED_DECILES = 5


@dataclass(frozen=True)
class RuleGlance:
    """One rule's row in the compare page's combined chart: where its money goes, in pence."""

    rule: str
    spent: int
    more_deprived: int
    elsewhere: int
    leftover: int
    funded: int
    share_percent: str


def glance(election: Election, summary: RuleSummary) -> RuleGlance:
    """Split a rule's spending between areas in deciles 1-5 and the rest."""
    decile = {a.id: a.decile for a in election.areas}
    deprived = sum(
        (
            Fraction(summary.outcome.amounts[code])
            for code in summary.funded
            if decile.get(election.project_area.get(code, ""), 99) <= MORE_DEPRIVED_DECILES
        ),
        Fraction(0),
    )
    more_deprived = pence_int(deprived)
    return RuleGlance(
        rule=summary.rule,
        spent=summary.spent,
        more_deprived=more_deprived,
        elsewhere=summary.spent - more_deprived,
        leftover=summary.leftover,
        funded=len(summary.funded),
        share_percent=summary.share_percent,
    )


def compare_rules(
    election: Election, spec: EquitySpec, *, tie_break: TieBreak | None = None
) -> list[RuleSummary]:
    """Run every rule on the election (equity with these settings) and summarise each."""
    out = []
    for rule in RULE_ORDER:
        outcome = run_rule(
            election, rule, parameters=rule_parameters(rule, election, spec), tie_break=tie_break
        )
        out.append(summarise(election, outcome))
    return out

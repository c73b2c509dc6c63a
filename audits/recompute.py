"""The one place where audits calls the ballot and allocation code it re-runs.

Closing a round (`audits.bundle`) and verifying it (`audits.verify`) both go through these
functions, so the publisher and the verifier cannot drift apart: canonical ballot bytes
(`ballots.canonical`), ballot validation (`ballots.rules`), tallies (`ballots.tally`) and
allocation rules (`decide.allocation.RULES`).

Plain-value forms written into the manifest:

- ballot rules: ``{"kind", "min_choices", "max_choices", "max_cost", "min_budget_share",
  "total_points", "max_points_per_project", "spend_all_points", "rank_depth", "currency",
  "unit_is_pence"}``; absent limits are ``null``; ``max_cost`` and ``min_budget_share`` are
  exact strings (see `audits.manifest.exact`);
- tie-break: ``{"kind": "lex" | "lottery", "seed": str | null}``;
- tally: `ballots.tally.Tally.as_json`;
- allocation: ``{project id: exact amount}`` for the funded projects;
- Add1 (equal shares only): ``{"k": int, "step": "1", "budget_per_voter": exact}``: the final
  number of steps, the step (one minor unit of the round's money) and the per-voter budget
  ``B/n + k`` the last run started from.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from audits.manifest import exact, parse_exact
from ballots.canonical import canonical_ballot_bytes
from ballots.model import Ballot, Instance, Profile
from ballots.rules import BallotRules, validate
from ballots.tally import tally as _tally

__all__ = [
    "Allocation",
    "RuleUnavailable",
    "allocate",
    "allocation",
    "ballot_bytes",
    "rules_from_dict",
    "rules_to_dict",
    "tally_json",
    "tie_break_from_dict",
    "tie_break_to_dict",
    "violations",
]


class RuleUnavailable(LookupError):
    """The named allocation rule cannot be run here."""


def ballot_bytes(kind_or_vote_type: str, ballot: Ballot) -> bytes:
    """Return the canonical bytes a ballot's chain leaf is computed over."""
    return canonical_ballot_bytes(kind_or_vote_type, ballot)


def rules_to_dict(rules: BallotRules) -> dict[str, Any]:
    """Return ballot rules as plain JSON values."""
    return {
        "kind": rules.kind,
        "min_choices": rules.min_choices,
        "max_choices": rules.max_choices,
        "max_cost": None if rules.max_cost is None else exact(rules.max_cost),
        "min_budget_share": (
            None if rules.min_budget_share is None else exact(rules.min_budget_share)
        ),
        "total_points": rules.total_points,
        "max_points_per_project": rules.max_points_per_project,
        "spend_all_points": rules.spend_all_points,
        "rank_depth": rules.rank_depth,
        "currency": rules.currency,
        "unit_is_pence": rules.unit_is_pence,
    }


def rules_from_dict(data: Mapping[str, Any]) -> BallotRules:
    """Return ballot rules from their plain form, or raise ValueError."""
    try:
        values = dict(data)
        for key in ("max_cost", "min_budget_share"):
            if values.get(key) is not None:
                values[key] = parse_exact(values[key])
        return BallotRules(**values)
    except TypeError as exc:
        raise ValueError(f"ballot rules: {exc}") from exc


def violations(ballot: Ballot, rules: BallotRules, instance: Instance) -> list[str]:
    """Return the messages for every way `ballot` breaks the round's rules."""
    return [v.message for v in validate(ballot, rules, instance)]


def tally_json(instance: Instance, profile: Profile, rules: BallotRules) -> dict[str, Any]:
    """Return the per-project tally as plain JSON values."""
    depth = rules.rank_depth if rules.kind == "ranked" else None
    return _tally(instance, profile, rank_depth=depth).as_json()


def tie_break_to_dict(tie_break: Any) -> dict[str, Any]:
    """Return a decide.allocation TieBreak as plain values."""
    return {"kind": tie_break.kind, "seed": tie_break.seed}


def tie_break_from_dict(data: Mapping[str, Any]) -> Any:
    """Return the decide.allocation TieBreak that plain values describe."""
    core = importlib.import_module("decide.allocation.core")
    return core.TieBreak(kind=data.get("kind", "lex"), seed=data.get("seed"))


@dataclass(frozen=True)
class Allocation:
    """A rule's funded projects with their amounts, and Add1's final step (equal shares)."""

    amounts: dict[str, Fraction]
    add1: dict[str, Any] | None = None


def allocate(
    rule: str,
    instance: Instance,
    profile: Profile,
    parameters: Mapping[str, Any],
    tie_break: Mapping[str, Any],
) -> dict[str, Fraction]:
    """Run the named rule through decide.allocation.RULES; return funded project -> amount.

    Raise RuleUnavailable if the rule is not (yet) registered there.
    """
    return allocation(rule, instance, profile, parameters, tie_break).amounts


def allocation(
    rule: str,
    instance: Instance,
    profile: Profile,
    parameters: Mapping[str, Any],
    tie_break: Mapping[str, Any],
) -> Allocation:
    """Run the named rule; return the funded amounts and, for equal shares, Add1's final k."""
    try:
        allocation = importlib.import_module("decide.allocation")
    except ImportError as exc:
        raise RuleUnavailable(f"decide.allocation cannot be imported: {exc}") from exc
    rules = getattr(allocation, "RULES", None)
    if rules is None or rule not in rules:
        known = ", ".join(sorted(rules)) if rules else "none"
        raise RuleUnavailable(f"rule {rule!r} is not available (decide.allocation has: {known})")
    options = allocation.options_from_json(rule, parameters)
    outcome = rules[rule](instance, profile, tie_break=tie_break_from_dict(tie_break), **options)
    amounts = {pid: Fraction(outcome.amounts[pid]) for pid in outcome.selected}
    details = outcome.details or {}
    add1 = None
    if details.get("add1") and "add1_increment" in details:
        add1 = {
            "k": int(details["add1_increment"]),
            "step": "1",
            "budget_per_voter": exact(Fraction(details["mes_budget_per_voter"])),
        }
    return Allocation(amounts, add1)

"""A second opinion: recompute the allocation with pabutools, an independent implementation.

``decide-verify --with-pabutools`` (check 10) gives pabutools the attached ``ballots.pb`` as it
is, in the round's minor unit, and compares the funded projects with the manifest's:

- ``greedy``: ``greedy_utilitarian_welfare`` (cost satisfaction; points for cumulative
  ballots);
- ``phragmen``: ``sequential_phragmen`` on the ballots read as approvals;
- ``equal-shares`` (Add1, then greedy): pabutools' Add1 loop would run the Method of Equal
  Shares once for every k = 0, 1, 2, ... (18,400 runs, about 69 hours, on Warszawa 2026).
  The manifest records the k where the loop stopped, so two runs settle it: plain
  ``method_of_equal_shares`` with every voter starting at B/n + k (``budget_limit`` B + k*n)
  and at B/n + k + 1. The loop stops at k when the outcome at k is exhaustive (no supported
  project still fits in B) or the outcome at k + 1 costs more than B; the outcome at k is then
  completed by ``greedy_utilitarian_welfare`` from it, as ``completion_by_rule_combination``
  does. Both runs take seconds, not days. (That no earlier k stopped the loop is what check 5's
  exact recomputation shows.)

Rules pabutools has no counterpart for (utilitarian with our exact certificate, equity), and
lottery tie-breaks, are not compared: the check is then SKIP.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from audits.manifest import Manifest

__all__ = ["second_opinion"]


def _q(x: Any) -> Fraction:
    return Fraction(str(x))


def satisfaction(profile: Any) -> Any:
    """Return pabutools' satisfaction class for `profile`: points if cardinal, else cost."""
    from pabutools.election import AbstractCardinalProfile, Additive_Cardinal_Sat, Cost_Sat

    return Additive_Cardinal_Sat if isinstance(profile, AbstractCardinalProfile) else Cost_Sat


def as_approvals(instance: Any, profile: Any) -> Any:
    """Return `profile` read as approvals of every project a ballot lists (for Phragmén)."""
    from pabutools.election import AbstractApprovalProfile, ApprovalBallot, ApprovalProfile

    if isinstance(profile, AbstractApprovalProfile):
        return profile
    return ApprovalProfile([ApprovalBallot(set(b)) for b in profile], instance=instance)


def supported_projects(sat_profile: Any) -> set[Any]:
    """Return the projects MES can pay for: of positive cost, and some voter gains from them."""
    return {
        p
        for voter in sat_profile
        for p in voter.ballot
        if _q(p.cost) > 0 and voter.sat_project(p) > 0
    }


def equal_shares_at(step: int, instance: Any, profile: Any, sat_profile: Any) -> Any:
    """Return plain pabutools MES with every voter starting at B/n + step, as at Add1's step."""
    from pabutools.rules import method_of_equal_shares

    original = instance.budget_limit
    instance.budget_limit = original + step * profile.num_ballots()
    try:
        return method_of_equal_shares(instance, profile, sat_profile=sat_profile)
    finally:
        instance.budget_limit = original


def cost(outcome: Any) -> Fraction:
    """Return the total cost of pabutools' `outcome`, exactly."""
    return sum((_q(p.cost) for p in outcome), Fraction(0))


def is_exhaustive(outcome: Any, supported: set[Any], budget: Fraction) -> bool:
    """Return True when no supported project left out of `outcome` still fits in `budget`."""
    chosen = {str(p.name) for p in outcome}
    spent = cost(outcome)
    return not any(str(p.name) not in chosen and spent + _q(p.cost) <= budget for p in supported)


class _Opinion(Exception):
    """An opinion reached before the comparison of funded sets."""

    def __init__(self, agrees: bool | None, reason: str) -> None:
        super().__init__(reason)
        self.agrees = agrees
        self.reason = reason


def _equal_shares(manifest: Manifest, instance: Any, profile: Any, sat: Any) -> tuple[Any, str]:
    """pabutools' equal shares at the manifest's Add1 k, checked to be where its Add1 loop
    stops, completed by greedy; raises _Opinion when it disagrees or nothing compares."""
    from pabutools.rules import greedy_utilitarian_welfare

    parameters = manifest.rule_parameters
    completion = parameters.get("completion", True)
    if not completion or not parameters.get("add1", completion) or not manifest.add1:
        raise _Opinion(None, "only equal shares with Add1 and greedy completion is compared")
    k = int(manifest.add1["k"])
    budget = _q(instance.budget_limit)
    sat_profile = profile.as_sat_profile(sat_class=sat)
    supported = supported_projects(sat_profile)
    at_k = equal_shares_at(k, instance, profile, sat_profile)
    after = equal_shares_at(k + 1, instance, profile, sat_profile)
    spent = cost(at_k)
    exhaustive = is_exhaustive(at_k, supported, budget)
    if spent > budget:
        raise _Opinion(False, f"pabutools' equal shares at k={k} spends more than the budget")
    if not exhaustive and cost(after) <= budget:
        raise _Opinion(
            False,
            f"pabutools' Add1 loop would not stop at k={k}: the outcome there is not "
            f"exhaustive and the one at k={k + 1} still fits the budget",
        )
    result = greedy_utilitarian_welfare(
        instance, profile, sat_class=sat, initial_budget_allocation=list(at_k)
    )
    return result, f" (equal shares at k={k} and k={k + 1}, completed by greedy)"


def second_opinion(manifest: Manifest, ballots_pb: str) -> tuple[bool | None, str]:
    """Return (agrees, reason): True or False after comparing, None when nothing compares."""
    from pabutools.election.pabulib import parse_pabulib_from_string
    from pabutools.rules import greedy_utilitarian_welfare, sequential_phragmen

    rule = manifest.rule
    if rule not in ("greedy", "phragmen", "equal-shares"):
        return None, f"pabutools has no counterpart of the rule {rule!r}; nothing to compare"
    if manifest.tie_break.get("kind", "lex") != "lex":
        return None, "pabutools breaks ties by project name only; a lottery cannot be compared"
    instance, profile = parse_pabulib_from_string(ballots_pb)
    sat = satisfaction(profile)
    expected = sorted(manifest.allocation)
    detail = ""
    if rule == "greedy":
        result = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
    elif rule == "phragmen":
        result = sequential_phragmen(instance, as_approvals(instance, profile))
    else:
        try:
            result, detail = _equal_shares(manifest, instance, profile, sat)
        except _Opinion as found:
            return found.agrees, found.reason
    selected = sorted(str(p.name) for p in result)
    if selected != expected:
        extra = sorted(set(selected) - set(expected))[:5]
        missing = sorted(set(expected) - set(selected))[:5]
        return False, (
            f"pabutools funds other projects{detail}: it adds {', '.join(extra) or 'none'} "
            f"and drops {', '.join(missing) or 'none'}"
        )
    return True, f"pabutools funds the same {len(selected)} projects{detail}"

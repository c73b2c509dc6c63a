"""Allocation rules: pure functions from an instance and a profile to an explained outcome.

Every rule has the shape ``rule(instance, profile, *, tie_break=LEX, **options) -> Outcome``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from decide.allocation.core import (
    LEX,
    BallotUsage,
    ConstraintReport,
    FundedShare,
    GreedyStep,
    MesRound,
    Outcome,
    Payment,
    PhragmenRound,
    ProgramReport,
    Rule,
    TieBreak,
    ballot_usage,
    fraction_text,
)
from decide.allocation.equity import Area, EquityParams, equity, params_from_json, params_to_json
from decide.allocation.greedywelfare import greedy
from decide.allocation.maxwelfare import utilitarian
from decide.allocation.mes import ADD1_ONLY, PLAIN, STANDARD, MesOptions, equal_shares
from decide.allocation.sequential_phragmen import phragmen

RULES: Mapping[str, Rule] = {
    "greedy": greedy,
    "equal-shares": equal_shares,
    "phragmen": phragmen,
    "utilitarian": utilitarian,
    "equity": equity,
}


def options_from_json(rule: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Return a rule's keyword options from the JSON parameters a manifest records.

    The app and the verifier both call this, so a published result is recomputed with exactly
    the options it was computed with. Equity records ``{"params": <params_to_json(...)>}``.
    """
    if rule == "equity":
        return {"params": params_from_json(parameters.get("params", {}))}
    if rule == "equal-shares":
        return {"options": MesOptions.from_parameters(parameters)}
    return dict(parameters)


def options_to_json(rule: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the JSON parameters to record for a rule's keyword options."""
    if rule == "equity":
        params = options.get("params")
        return {"params": params_to_json(params if params is not None else EquityParams())}
    if rule == "equal-shares":
        mes: MesOptions = options.get("options", STANDARD)
        recorded: dict[str, Any] = {} if mes == STANDARD else {"completion": mes.completion}
        if mes.add1 != mes.completion:
            recorded["add1"] = mes.add1
        return recorded
    return dict(options)


__all__ = [
    "ADD1_ONLY",
    "LEX",
    "PLAIN",
    "RULES",
    "STANDARD",
    "Area",
    "BallotUsage",
    "ConstraintReport",
    "EquityParams",
    "FundedShare",
    "GreedyStep",
    "MesOptions",
    "MesRound",
    "Outcome",
    "Payment",
    "PhragmenRound",
    "ProgramReport",
    "Rule",
    "TieBreak",
    "ballot_usage",
    "equal_shares",
    "equity",
    "fraction_text",
    "greedy",
    "options_from_json",
    "options_to_json",
    "params_from_json",
    "params_to_json",
    "phragmen",
    "utilitarian",
]

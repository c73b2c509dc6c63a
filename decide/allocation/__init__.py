"""Allocation rules: pure functions from an instance and a profile to an explained outcome.

Every rule has the shape ``rule(instance, profile, *, tie_break=LEX, **options) -> Outcome``.
"""

from __future__ import annotations

from collections.abc import Mapping

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
from decide.allocation.equity import Area, EquityParams, equity
from decide.allocation.greedywelfare import greedy
from decide.allocation.maxwelfare import utilitarian
from decide.allocation.mes import equal_shares
from decide.allocation.sequential_phragmen import phragmen

RULES: Mapping[str, Rule] = {
    "greedy": greedy,
    "equal-shares": equal_shares,
    "phragmen": phragmen,
    "utilitarian": utilitarian,
    "equity": equity,
}

__all__ = [
    "LEX",
    "RULES",
    "Area",
    "BallotUsage",
    "ConstraintReport",
    "EquityParams",
    "FundedShare",
    "GreedyStep",
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
    "phragmen",
    "utilitarian",
]

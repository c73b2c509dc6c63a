"""The four ballot kinds and their limits (`BallotRules`), and the violation codes that
`ballots.rules.validate` reports (see that module; everything here is importable from there)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ballots.model import VOTE_TYPE_OF_KIND, BallotKind, VoteType
from ballots.wording import money

KINDS: tuple[BallotKind, ...] = ("approval", "knapsack", "cumulative", "ranked")

# Stable violation codes; the web layer and tests may rely on them.
UNKNOWN_PROJECT = "unknown_project"
DUPLICATE_PROJECT = "duplicate_project"
NOT_A_PROJECT_ID = "not_a_project_id"
TOO_FEW_CHOICES = "too_few_choices"
TOO_MANY_CHOICES = "too_many_choices"
OVER_BUDGET = "over_budget"
UNDER_MIN_SHARE = "under_min_share"
UNEXPECTED_POINTS = "unexpected_points"
POINTS_MISSING = "points_missing"
POINTS_MISALIGNED = "points_misaligned"
POINTS_NOT_WHOLE = "points_not_whole"
POINTS_NEGATIVE = "points_negative"
POINTS_OVER_PROJECT_MAX = "points_over_project_max"
POINTS_OVER_TOTAL = "points_over_total"
POINTS_UNDER_TOTAL = "points_under_total"

CODES: tuple[str, ...] = (
    UNKNOWN_PROJECT,
    DUPLICATE_PROJECT,
    NOT_A_PROJECT_ID,
    TOO_FEW_CHOICES,
    TOO_MANY_CHOICES,
    OVER_BUDGET,
    UNDER_MIN_SHARE,
    UNEXPECTED_POINTS,
    POINTS_MISSING,
    POINTS_MISALIGNED,
    POINTS_NOT_WHOLE,
    POINTS_NEGATIVE,
    POINTS_OVER_PROJECT_MAX,
    POINTS_OVER_TOTAL,
    POINTS_UNDER_TOTAL,
)


@dataclass(frozen=True)
class BallotRules:
    """The limits a round puts on its ballots, and how to show its money."""

    kind: BallotKind
    min_choices: int = 1
    max_choices: int | None = None
    max_cost: Fraction | None = None
    min_budget_share: Fraction | None = None
    total_points: int | None = None
    max_points_per_project: int | None = None
    spend_all_points: bool = False
    rank_depth: int | None = None
    currency: str = "£"
    unit_is_pence: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown ballot kind {self.kind!r}; expected one of {KINDS}")
        self._check_choices_and_cost()
        self._check_points_and_ranks()

    def _check_choices_and_cost(self) -> None:
        if self.min_choices < 0:
            raise ValueError("min_choices must not be negative")
        if self.max_choices is not None and self.max_choices < max(self.min_choices, 1):
            raise ValueError("max_choices must be at least 1 and at least min_choices")
        if self.kind != "knapsack" and (
            self.max_cost is not None or self.min_budget_share is not None
        ):
            raise ValueError("max_cost and min_budget_share apply to knapsack ballots only")
        if self.max_cost is not None and self.max_cost < 0:
            raise ValueError("max_cost must not be negative")
        if self.min_budget_share is not None and not 0 <= self.min_budget_share <= 1:
            raise ValueError("min_budget_share must be between 0 and 1")

    def _check_points_and_ranks(self) -> None:
        if self.kind == "cumulative":
            if self.total_points is None or self.total_points < 1:
                raise ValueError("a cumulative ballot needs total_points of at least 1")
            if self.max_points_per_project is not None and self.max_points_per_project < 1:
                raise ValueError("max_points_per_project must be at least 1")
        elif (
            self.total_points is not None
            or self.max_points_per_project is not None
            or self.spend_all_points
        ):
            raise ValueError("points limits apply to cumulative ballots only")
        if self.kind == "ranked":
            if self.rank_depth is not None and self.rank_depth < max(self.min_choices, 1):
                raise ValueError("rank_depth must be at least 1 and at least min_choices")
            if self.max_choices is not None:
                raise ValueError("a ranked ballot sets rank_depth, not max_choices")
        elif self.rank_depth is not None:
            raise ValueError("rank_depth applies to ranked ballots only")

    @property
    def vote_type(self) -> VoteType:
        """Return the pabulib vote type that ballots of this kind are stored as."""
        return VOTE_TYPE_OF_KIND[self.kind]

    @property
    def most_choices(self) -> int | None:
        """Return the most projects a ballot may choose or rank (None: no limit)."""
        return self.rank_depth if self.kind == "ranked" else self.max_choices

    @property
    def per_project_cap(self) -> int | None:
        """Return the most points one project may get (cumulative only)."""
        if self.total_points is None:
            return None
        if self.max_points_per_project is None:
            return self.total_points
        return min(self.max_points_per_project, self.total_points)


@dataclass(frozen=True)
class Violation:
    """One way in which a ballot breaks the round's rules."""

    code: str
    message: str
    project_id: str | None = None


def format_money(amount: Fraction | int, rules: BallotRules) -> str:
    """Format an amount in the round's unit for people, e.g. ``£12,500.00`` or ``1,250 zł``."""
    return money(amount, rules.currency, minor_units=rules.unit_is_pence)

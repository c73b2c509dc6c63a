"""Ballot kinds, their rules, validation with citizen-facing messages, and plain-words rules.

The app's four ballot kinds (DESIGN.md, "Ballots"):

* ``approval``: choose between `min_choices` and `max_choices` projects;
* ``knapsack``: approval whose total cost is at most the budget (or `max_cost`), and at least
  `min_budget_share` of the budget if that is set;
* ``cumulative``: spread up to `total_points` whole points (exactly that many if
  `spend_all_points`), at most `max_points_per_project` on one project;
* ``ranked``: rank between `min_choices` and `rank_depth` projects, best first, each once.

`validate` never raises on a ballot: it returns every `Violation` it finds, each with a stable
`code` (for programs and tests) and a `message` written for the voter. Money is formatted with
`format_money`: amounts are integer pence inside the app (``unit_is_pence=True``); for pabulib
files, whose costs are in whole currency units, set ``unit_is_pence=False`` and the currency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ballots.kinds import (
    CODES,
    DUPLICATE_PROJECT,
    KINDS,
    NOT_A_PROJECT_ID,
    OVER_BUDGET,
    POINTS_MISALIGNED,
    POINTS_MISSING,
    POINTS_NEGATIVE,
    POINTS_NOT_WHOLE,
    POINTS_OVER_PROJECT_MAX,
    POINTS_OVER_TOTAL,
    POINTS_UNDER_TOTAL,
    TOO_FEW_CHOICES,
    TOO_MANY_CHOICES,
    UNDER_MIN_SHARE,
    UNEXPECTED_POINTS,
    UNKNOWN_PROJECT,
    BallotRules,
    Violation,
    format_money,
)

__all__ = [
    "CODES",
    "DUPLICATE_PROJECT",
    "KINDS",
    "NOT_A_PROJECT_ID",
    "OVER_BUDGET",
    "POINTS_MISALIGNED",
    "POINTS_MISSING",
    "POINTS_NEGATIVE",
    "POINTS_NOT_WHOLE",
    "POINTS_OVER_PROJECT_MAX",
    "POINTS_OVER_TOTAL",
    "POINTS_UNDER_TOTAL",
    "TOO_FEW_CHOICES",
    "TOO_MANY_CHOICES",
    "UNDER_MIN_SHARE",
    "UNEXPECTED_POINTS",
    "UNKNOWN_PROJECT",
    "BallotRules",
    "Violation",
    "choose_sentence",
    "describe",
    "format_money",
    "rules_from_pabulib",
    "validate",
]
from ballots.model import Ballot, Instance, VoteType
from ballots.wording import plural


def _percent(share: Fraction) -> str:
    pct = share * 100
    if pct.denominator == 1:
        return f"{pct.numerator}%"
    return f"{float(round(pct, 1)):g}%"


def _chose(n: int) -> str:
    return "no projects" if n == 0 else plural(n, "project")


def _label(names: Mapping[str, str], pid: str) -> str:
    name = names.get(pid, "")
    return f"“{name}”" if name else f"project {pid}"


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _budget_cap(rules: BallotRules, instance: Instance) -> Fraction:
    return rules.max_cost if rules.max_cost is not None else instance.budget


def validate(ballot: Ballot, rules: BallotRules, instance: Instance) -> list[Violation]:
    """Return every way in which `ballot` breaks `rules` for `instance` (empty if none)."""
    costs = {p.id: p.cost for p in instance.projects}
    names = {p.id: p.name for p in instance.projects}
    verb = "ranked" if rules.kind == "ranked" else "chose"
    projects = tuple(ballot.projects) if isinstance(ballot.projects, tuple | list) else ()
    out, distinct = _id_violations(projects, costs, names, verb)
    known = [pid for pid in distinct if pid in costs]
    if rules.kind == "cumulative":
        chosen = _check_points(ballot, rules, instance, names, projects, out)
    else:
        if ballot.points is not None:
            out.append(
                Violation(
                    UNEXPECTED_POINTS,
                    "This round does not use points; choose projects without giving points.",
                )
            )
        chosen = len(distinct)
    out += _count_violations(rules, chosen)
    if rules.kind == "knapsack":
        out += _money_violations(rules, instance, sum((costs[pid] for pid in known), Fraction(0)))
    return out


def _id_violations(
    projects: tuple[Any, ...], costs: Mapping[str, Fraction], names: Mapping[str, str], verb: str
) -> tuple[list[Violation], list[str]]:
    """Ids: each must be a known project id, listed once. Returns the violations and the
    distinct ids in ballot order."""
    out: list[Violation] = []
    seen: Counter[str] = Counter()
    for pid in projects:
        if not isinstance(pid, str):
            out.append(
                Violation(NOT_A_PROJECT_ID, f"Your ballot holds {pid!r}, which is not a project.")
            )
            continue
        seen[pid] += 1
        if seen[pid] == 1 and pid not in costs:
            out.append(
                Violation(
                    UNKNOWN_PROJECT,
                    f"Project {pid!r} is not on this ballot; please choose from the list.",
                    pid,
                )
            )
    for pid, n in seen.items():
        if n > 1:
            out.append(
                Violation(
                    DUPLICATE_PROJECT,
                    f"You {verb} {_label(names, pid)} {'twice' if n == 2 else f'{n} times'}; "
                    "each project can appear only once.",
                    pid,
                )
            )
    return out, list(seen)


def _count_violations(rules: BallotRules, chosen: int) -> list[Violation]:
    """How many projects: at least min_choices, at most the most the kind allows."""
    out: list[Violation] = []
    if rules.kind == "cumulative":
        counted, what = "gave points to", "to give points to"
    elif rules.kind == "ranked":
        counted, what = "ranked", "to rank"
    else:
        counted, what = "chose", "to choose"
    most = rules.most_choices
    if chosen < rules.min_choices:
        out.append(
            Violation(
                TOO_FEW_CHOICES,
                f"You {counted} {_chose(chosen)}; this round asks you {what} at least "
                f"{plural(rules.min_choices, 'project')}.",
            )
        )
    if most is not None and chosen > most:
        out.append(
            Violation(
                TOO_MANY_CHOICES,
                f"You {counted} {_chose(chosen)}; this round allows at most {most}.",
            )
        )
    return out


def _money_violations(rules: BallotRules, instance: Instance, total: Fraction) -> list[Violation]:
    """Money (knapsack): within the cap, and at least the share of the budget asked for."""
    out: list[Violation] = []
    cap = _budget_cap(rules, instance)
    cap_name = "the budget" if rules.max_cost is None else "the limit"
    if total > cap:
        out.append(
            Violation(
                OVER_BUDGET,
                f"Your choices cost {format_money(total, rules)}, which is "
                f"{format_money(total - cap, rules)} more than {cap_name} of "
                f"{format_money(cap, rules)}.",
            )
        )
    if rules.min_budget_share is not None:
        floor = rules.min_budget_share * instance.budget
        if total < floor:
            out.append(
                Violation(
                    UNDER_MIN_SHARE,
                    f"Your choices cost {format_money(total, rules)}; this round asks for "
                    f"projects worth at least {format_money(floor, rules)} "
                    f"({_percent(rules.min_budget_share)} of the budget).",
                )
            )
    return out


def _check_points(
    ballot: Ballot,
    rules: BallotRules,
    instance: Instance,
    names: Mapping[str, str],
    projects: tuple[Any, ...],
    out: list[Violation],
) -> int:
    """Append the points violations; return how many distinct projects got points."""
    points = ballot.points
    if points is None or not isinstance(points, tuple | list):
        if projects:
            out.append(
                Violation(
                    POINTS_MISSING,
                    "Your ballot gives no points; give each project you choose a number of points.",
                )
            )
        return 0
    if len(points) != len(projects):
        out.append(
            Violation(
                POINTS_MISALIGNED,
                f"Your ballot lists {plural(len(projects), 'project')} but "
                f"{plural(len(points), 'points value')}; give each project one number of "
                "points.",
            )
        )
    per_project, total = _point_values(projects, points, names, out)
    out += _points_limit_violations(rules, names, per_project, total)
    return sum(1 for v in per_project.values() if v > 0)


def _point_values(
    projects: tuple[Any, ...],
    points: tuple[Any, ...] | list[Any],
    names: Mapping[str, str],
    out: list[Violation],
) -> tuple[Counter[str], int]:
    """Append the violations of single points values; return the points per project and in
    all, counting only whole, non-negative values."""
    total = 0
    per_project: Counter[str] = Counter()
    for pid, value in zip(projects, points):
        label = _label(names, pid) if isinstance(pid, str) else repr(pid)
        if not _is_whole(value):
            out.append(
                Violation(
                    POINTS_NOT_WHOLE,
                    f"The points for {label} ({value!r}) are not a whole number.",
                    pid if isinstance(pid, str) else None,
                )
            )
            continue
        if value < 0:
            out.append(
                Violation(
                    POINTS_NEGATIVE,
                    f"You gave {plural(value, 'point')} to {label}; points cannot be negative.",
                    pid if isinstance(pid, str) else None,
                )
            )
            continue
        total += value
        if isinstance(pid, str):
            per_project[pid] += value
    return per_project, total


def _points_limit_violations(
    rules: BallotRules, names: Mapping[str, str], per_project: Counter[str], total: int
) -> list[Violation]:
    """The most points per project, and the total the round allows (or asks for)."""
    out: list[Violation] = []
    cap = rules.per_project_cap
    for pid, value in per_project.items():
        if cap is not None and value > cap:
            out.append(
                Violation(
                    POINTS_OVER_PROJECT_MAX,
                    f"You gave {plural(value, 'point')} to {_label(names, pid)}; "
                    f"one project can get at most {cap}.",
                    pid,
                )
            )
    n = rules.total_points
    if n is not None and total > n:
        out.append(
            Violation(
                POINTS_OVER_TOTAL,
                f"You gave {plural(total, 'point')} in total, which is {total - n} more than "
                f"the {n} this round allows.",
            )
        )
    if n is not None and rules.spend_all_points and total < n:
        out.append(
            Violation(
                POINTS_UNDER_TOTAL,
                f"You gave {plural(total, 'point')} in total; this round asks you to give all {n}.",
            )
        )
    return out


def choose_sentence(verb: str, least: int, most: int | None, available: int | None = None) -> str:
    """Say how many projects a ballot takes, e.g. 'Choose between 1 and 3 projects.'.

    `available` (the projects on the ballot) caps a maximum that could never be reached.
    """
    if available:
        most = available if most is not None and most > available else most
        least = min(least, available)
    if most is None:
        if least <= 0:
            return f"{verb} any number of projects."
        return f"{verb} at least {plural(least, 'project')}."
    if least == most:
        return f"{verb} exactly {plural(most, 'project')}."
    if least <= 0:
        return f"{verb} up to {plural(most, 'project')}."
    return f"{verb} between {least} and {most} projects."


def describe(rules: BallotRules, instance: Instance) -> list[str]:
    """Return the round's ballot rules as short sentences for the round page."""
    lines: list[str] = []
    if rules.kind in ("approval", "knapsack"):
        lines.append(
            choose_sentence("Choose", rules.min_choices, rules.max_choices, len(instance.projects))
        )
    if rules.kind == "knapsack":
        cap = _budget_cap(rules, instance)
        what = "the budget" if rules.max_cost is None else "the limit for one ballot"
        lines.append(
            f"Together, your choices can cost at most {format_money(cap, rules)} ({what})."
        )
        if rules.min_budget_share:
            floor = rules.min_budget_share * instance.budget
            lines.append(
                f"They must cost at least {format_money(floor, rules)} "
                f"({_percent(rules.min_budget_share)} of the budget)."
            )
    if rules.kind == "cumulative":
        n = rules.total_points or 0
        amount = f"{'exactly' if rules.spend_all_points else 'up to'} {plural(n, 'point')}"
        per_project = rules.per_project_cap
        if per_project is not None and per_project < n:
            lines.append(f"Spread {amount}; at most {per_project} on one project.")
        else:
            lines.append(f"Spread {amount} over the projects you support.")
        if rules.min_choices > 1 or rules.max_choices is not None:
            lines.append(
                choose_sentence(
                    "Give points to", rules.min_choices, rules.max_choices, len(instance.projects)
                )
            )
        lines.append("Points are whole numbers.")
    if rules.kind == "ranked":
        lines.append(
            choose_sentence("Rank", rules.min_choices, rules.rank_depth, len(instance.projects))
        )
        lines.append("Put your favourite first; each project can appear only once.")
    return lines


_SYMBOLS: Mapping[str, str] = {"GBP": "£", "EUR": "€", "USD": "$"}


def rules_from_pabulib(instance: Instance, vote_type: VoteType) -> BallotRules:
    """Return the ballot rules that a pabulib file's META states (money in the file's unit).

    Reads ``min_length``, ``max_length``, ``max_sum_cost`` (a knapsack ballot), ``max_points``,
    ``max_sum_points`` and ``currency``. Raise ValueError for scoring files (no app kind) and
    for cumulative files without ``max_sum_points``.
    """
    meta = {k: v.strip() for k, v in instance.meta.items()}

    def whole(key: str) -> int | None:
        text = meta.get(key)
        if text is None or text.lower() in ("", "none"):
            return None
        try:
            return int(Fraction(text))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"META {key} {text!r} is not a number") from None

    code = meta.get("currency", "").upper()
    money: dict[str, Any] = {"currency": _SYMBOLS.get(code, code), "unit_is_pence": False}
    least = whole("min_length")
    most = whole("max_length")
    if vote_type == "approval":
        cost_text = meta.get("max_sum_cost")
        if cost_text:
            try:
                cap = Fraction(cost_text)
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"META max_sum_cost {cost_text!r} is not a number") from None
            return BallotRules(
                "knapsack",
                min_choices=least or 0,
                max_choices=most,
                max_cost=None if cap == instance.budget else cap,
                **money,
            )
        return BallotRules("approval", min_choices=least or 0, max_choices=most, **money)
    if vote_type == "cumulative":
        total = whole("max_sum_points")
        if total is None:
            raise ValueError("a cumulative file needs max_sum_points in META")
        return BallotRules(
            "cumulative",
            min_choices=least or 0,
            max_choices=most,
            total_points=total,
            max_points_per_project=whole("max_points"),
            **money,
        )
    if vote_type == "ordinal":
        return BallotRules("ranked", min_choices=least or 0, rank_depth=most, **money)
    raise ValueError(f"no ballot kind of this app matches vote type {vote_type!r}")

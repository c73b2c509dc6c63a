"""The ballot limits a pabulib file's META states, checked against its ballots."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from ballots.model import Ballot, Instance
from ballots.pabulib_values import (
    PbError,
    PbFile,
    format_decimal,
    number_problem,
    parse_decimal,
    shown,
)
from ballots.wording import plural

__all__ = ["COST_KEYS", "LENGTH_KEYS", "POINTS_KEYS", "check_limits", "meta_value"]


def meta_value(instance: Instance, key: str) -> str | None:
    """Return a META value with surrounding blanks removed, or None if the key is absent."""
    value: Mapping[str, str] = instance.meta
    text = value.get(key)
    return None if text is None else text.strip()


# The ballot limits that META may state, as the pabulib format defines them
# (https://pabulib.org/format, "if vote_type == ..."): a ballot lists between min_length and
# max_length projects (so max_length 0 allows only empty ballots; absent, num_projects), an
# approval ballot costs between min_sum_cost and max_sum_cost, and a cumulative ballot gives
# each project between min_points and max_points and in all between min_sum_points and
# max_sum_points. An approval vote is "a subset of projects" and an ordinal one "a permutation
# of a subset", so a vote lists each project once.
LENGTH_KEYS = ("min_length", "max_length")
COST_KEYS = ("min_sum_cost", "max_sum_cost")
POINTS_KEYS = ("min_points", "max_points", "min_sum_points", "max_sum_points")


def _limit(pb: PbFile, key: str, *, whole: bool) -> Fraction | None:
    """Return a META limit (None when absent, empty or ``None``); refuse a negative one."""
    text = pb.instance.meta.get(key)
    if text is None or text.strip().lower() in ("", "none"):
        return None
    line = pb.meta_lines.get(key, 1)
    value = parse_decimal(text)
    if value is None or (whole and value.denominator != 1):
        raise PbError(line, f"META {key} '{shown(text)}' {number_problem(text, whole=whole)}")
    if value < 0:
        raise PbError(line, f"META {key} is {shown(text)}, which is negative")
    return value


def _limits(pb: PbFile, keys: tuple[str, ...], *, whole: bool) -> dict[str, Fraction | None]:
    values = {key: _limit(pb, key, whole=whole) for key in keys}
    for key in keys[::2]:
        least, most = values[key], values[key.replace("min_", "max_")]
        if least is not None and most is not None and least > most:
            high = key.replace("min_", "max_")
            raise PbError(
                pb.meta_lines.get(key, 1),
                f"META {key} ({format_decimal(least)}) is more than {high} "
                f"({format_decimal(most)})",
            )
    return values


def check_limits(pb: PbFile) -> None:
    """Raise PbError at the first ballot that breaks the limits its own META states.

    Checked: a project listed twice in one vote, ``min_length``/``max_length``,
    ``min_sum_cost``/``max_sum_cost`` (approval), and for cumulative files negative points,
    ``min_points``/``max_points`` per project and ``min_sum_points``/``max_sum_points`` in all.
    A META limit that is not a number, is negative, or is below its partner is refused at its
    own line. Limits that META does not state are not checked.
    """
    vote_type = pb.profile.vote_type
    lengths = _limits(pb, LENGTH_KEYS, whole=True)
    costs = _limits(pb, COST_KEYS, whole=False) if vote_type == "approval" else {}
    points = _limits(pb, POINTS_KEYS, whole=False) if vote_type == "cumulative" else {}
    cost_of = {p.id: p.cost for p in pb.instance.projects}
    lines = pb.vote_lines
    for index, ballot in enumerate(pb.profile.ballots):
        line = lines[index] if index < len(lines) else 1
        problem = _ballot_problem(ballot, lengths, costs, points, cost_of)
        if problem:
            raise PbError(line, f"voter {ballot.voter_id} {problem}")


def _ballot_problem(
    ballot: Ballot,
    lengths: Mapping[str, Fraction | None],
    costs: Mapping[str, Fraction | None],
    points: Mapping[str, Fraction | None],
    cost_of: Mapping[str, Fraction],
) -> str | None:
    """Return how `ballot` breaks the limits, as words after "voter X", or None."""
    return (
        _repeat_problem(ballot)
        or _length_problem(len(ballot.projects), lengths)
        or (_cost_problem(ballot, costs, cost_of) if costs else None)
        or (_points_problem(ballot, points) if points else None)
    )


def _repeat_problem(ballot: Ballot) -> str | None:
    seen: set[str] = set()
    for pid in ballot.projects:
        if pid in seen:
            return (
                f"lists project {pid} twice; a pabulib vote lists each project once "
                "(an approval vote is a set of projects, a ranking names each once)"
            )
        seen.add(pid)
    return None


def _length_problem(n: int, lengths: Mapping[str, Fraction | None]) -> str | None:
    least, most = lengths["min_length"], lengths["max_length"]
    if most is not None and n > most:
        return f"lists {plural(n, 'project')}, more than the {most} that max_length allows"
    if least is not None and n < least:
        return f"lists {plural(n, 'project')}, fewer than the {least} that min_length asks for"
    return None


def _cost_problem(
    ballot: Ballot, costs: Mapping[str, Fraction | None], cost_of: Mapping[str, Fraction]
) -> str | None:
    total = sum((cost_of[pid] for pid in ballot.projects), Fraction(0))
    low, high = costs["min_sum_cost"], costs["max_sum_cost"]
    if high is not None and total > high:
        return (
            f"chooses projects costing {format_decimal(total)} in all, more than the "
            f"{format_decimal(high)} that max_sum_cost allows"
        )
    if low is not None and total < low:
        return (
            f"chooses projects costing {format_decimal(total)} in all, less than the "
            f"{format_decimal(low)} that min_sum_cost asks for"
        )
    return None


def _points_problem(ballot: Ballot, points: Mapping[str, Fraction | None]) -> str | None:
    given = ballot.points or ()
    for pid, value in zip(ballot.projects, given):
        found = _one_points_problem(pid, value, points)
        if found:
            return found
    total_points = sum(given)
    high, low = points["max_sum_points"], points["min_sum_points"]
    if high is not None and total_points > high:
        return (
            f"gives {total_points} points in all, more than the {format_decimal(high)} "
            "that max_sum_points allows"
        )
    if low is not None and total_points < low:
        return (
            f"gives {total_points} points in all, fewer than the {format_decimal(low)} "
            "that min_sum_points asks for"
        )
    return None


def _one_points_problem(pid: str, value: int, points: Mapping[str, Fraction | None]) -> str | None:
    if value < 0:
        return f"gives {value} points to project {pid}; points cannot be negative"
    high = points["max_points"]
    if high is not None and value > high:
        return (
            f"gives {value} points to project {pid}, more than the "
            f"{format_decimal(high)} that max_points allows"
        )
    low = points["min_points"]
    if low is not None and value < low:
        return (
            f"gives {value} points to project {pid}, fewer than the "
            f"{format_decimal(low)} that min_points asks for"
        )
    return None

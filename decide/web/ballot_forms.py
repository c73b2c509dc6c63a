"""Reading a ballot form: choices, each field's own problem, and the live counter's figures.

Shared by online voting (web/voting.py), paper entry (web/paper.py) and "how my ballot was
used" (web/results.py), which all post the same fields: `project` (approval, knapsack),
`points-CODE` (cumulative) and `rank-CODE` (ranked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

from ballots.wording import plural
from decide.extensions import db
from decide.models import Project, Round
from decide.services import voting
from decide.services.sanitise import whole_number

NOT_ON_BALLOT = "Project {code!r} is not on this ballot; please choose from the list."


def form_choices(rnd: Round, projects: list[Project]) -> tuple[Any, list[str]]:
    """Read the ballot form into choices; return (choices, problems reading the form)."""
    if rnd.ballot_kind in ("approval", "knapsack"):
        return request.form.getlist("project"), []
    if rnd.ballot_kind == "cumulative":
        return _points(projects)
    return _ranking(projects)


def _points(projects: list[Project]) -> tuple[dict[str, int], list[str]]:
    """Read the points fields: {code: points} and the problems reading them."""
    points: dict[str, int] = {}
    problems: list[str] = []
    for p in projects:
        raw = request.form.get(f"points-{p.code}", "").strip()
        if raw == "":
            continue
        try:
            points[p.code] = int(raw)
        except ValueError:
            problems.append(f"The points for “{p.title}” must be a whole number.")
    known = {p.code for p in projects}
    for key in request.form:
        code = key.removeprefix("points-")
        if key.startswith("points-") and code not in known and request.form[key].strip():
            problems.append(NOT_ON_BALLOT.format(code=code))
    return points, problems


def _ranking(projects: list[Project]) -> tuple[list[str], list[str]]:
    """Read the rank fields: the codes from first to last and the problems reading them."""
    ranks: dict[int, str] = {}
    problems: list[str] = []
    known = {p.code for p in projects}
    for key in request.form:
        if not key.startswith("rank-"):
            continue
        code, raw = key.removeprefix("rank-"), request.form.get(key, "").strip()
        if raw == "":
            continue
        if code not in known:
            problems.append(NOT_ON_BALLOT.format(code=code))
            continue
        rank = whole_number(raw, maximum=len(known))  # '²' passes isdigit, but not int()
        if not rank:
            problems.append(f"Ranks are whole numbers from 1 to {len(known)}.")
        elif rank in ranks:
            problems.append(f"You gave rank {raw} to more than one project; give each rank once.")
        else:
            ranks[rank] = code
    return [ranks[r] for r in sorted(ranks)], problems


def problems_by_field(rnd: Round, projects: list[Project]) -> dict[str, str]:
    """Return, per project code, what is wrong with its points or rank as typed in the form.

    These are shown next to each field (the rules' messages go to the summary at the top): a
    project over the per-project points cap, and every project sharing a rank with another.
    """
    titles = {p.code: p.title for p in projects}
    if rnd.ballot_kind == "cumulative":
        cap = min(rnd.max_points_per_project or rnd.points_total or 0, rnd.points_total or 0)
        out = {code: _points_problem(code, cap) for code in titles}
        return {code: problem for code, problem in out.items() if problem}
    if rnd.ballot_kind == "ranked":
        return _shared_ranks(titles)
    return {}


def _points_problem(code: str, cap: int) -> str | None:
    """Return what is wrong with one project's points as typed, or None."""
    raw = request.form.get(f"points-{code}", "").strip()
    if raw == "":
        return None
    value = whole_number(raw.removeprefix("-"), maximum=2**31)
    if value is None:
        return "Enter the points as a whole number, like 3."
    if raw.startswith("-"):
        return "Points cannot be negative."
    if cap and value > cap:
        return f"One project can get at most {plural(cap, 'point')}; this has {value}."
    return None


def _shared_ranks(titles: dict[str, str]) -> dict[str, str]:
    """Return, for every project that shares its rank with another, which ones."""
    by_rank: dict[int, list[str]] = {}
    for code in titles:
        rank = whole_number(request.form.get(f"rank-{code}", ""), maximum=len(titles))
        if rank:
            by_rank.setdefault(rank, []).append(code)
    out: dict[str, str] = {}
    for rank, codes in by_rank.items():
        for code in codes if len(codes) > 1 else ():
            others = " and ".join(f"“{titles[c]}”" for c in codes if c != code)
            out[code] = f"Rank {rank} is also given to {others}. Give each rank once."
    return out


def typed_values(rnd: Round, projects: list[Project]) -> dict[str, Any]:
    """Return each points or rank field as typed, to show it again beside its problem."""
    prefix = {"cumulative": "points-", "ranked": "rank-"}.get(rnd.ballot_kind)
    if prefix is None:
        return {}
    entered: dict[str, Any] = {}
    for p in projects:
        raw = request.form.get(prefix + p.code, "").strip()[:12]
        if raw:
            rank = whole_number(raw, maximum=len(projects)) if prefix == "rank-" else None
            entered[p.code] = rank or raw
    return entered


def selected_inputs(rnd: Round, choices: Any) -> dict[str, Any]:
    """Return what each project's input should show: True, points or rank."""
    if rnd.ballot_kind == "cumulative":
        return dict(choices) if isinstance(choices, dict) else {}
    if rnd.ballot_kind == "ranked":
        return {code: i + 1 for i, code in enumerate(choices)}
    return dict.fromkeys(choices, True)


def summary_figures(rnd: Round, projects: list[Project], choices: Any) -> dict[str, Any]:
    """Return the live counter's figures and any rule problems for the current choices."""
    costs = {p.code: p.cost_pence for p in projects}
    selected = selected_inputs(rnd, choices)
    chosen = [c for c in selected if c in costs and selected[c]]
    summary: dict[str, Any] = {
        "count": len(chosen),
        "cost": sum(costs[c] for c in chosen),
        "points": sum(v for v in selected.values() if isinstance(v, int) and v > 0)
        if rnd.ballot_kind == "cumulative"
        else 0,
        "problems": [],
    }
    try:
        voting.check_choices(db.session, rnd, choices)
    except voting.BallotRejected as exc:
        summary["problems"] = exc.messages
    return summary


@dataclass(frozen=True)
class TypedFields:
    """A refused ballot's points or rank fields as typed, and each one's own problem."""

    values: dict[str, Any]
    problems: dict[str, str]


def typed_fields(rnd: Round, projects: list[Project]) -> TypedFields:
    """Return the posted points or rank fields, to show again beside their problems."""
    return TypedFields(typed_values(rnd, projects), problems_by_field(rnd, projects))

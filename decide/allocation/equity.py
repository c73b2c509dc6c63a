"""Equity program: maximise approval support subject to floors per area, caps and theme shares.

Definition (ours; an integer program solved by PuLP + CBC):

- maximise the total support of the funded projects (the number of voters listing each);
- the total cost stays within the budget;
- each area receives at least its floor. By default the floors share out ``floor_share`` of the
  budget in proportion to population x the round's weight for the area's deprivation decile:
  ``floor(a) = floor_share * budget * pop(a) * w(decile(a)) / sum_b pop(b) * w(decile(b))``.
  Explicit floors, when given, replace the formula;
- each organisation receives at most its cap;
- each theme receives between its minimum and maximum share of the money spent.

When the constraints cannot all hold, a deletion filter finds a smallest set of them that
conflict (every constraint in it is needed for the conflict), and the outcome names them in
plain words instead of failing silently. Each constraint's price in support is the support
regained by re-solving without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ballots.model import Instance, Profile
from decide.allocation.core import (
    LEX,
    ConstraintReport,
    Outcome,
    ProgramReport,
    TieBreak,
    fraction_text,
    make_outcome,
)
from decide.allocation.prepare import Prepared, prepare
from decide.allocation.programs import LinearConstraint, Program, lexicographic_best, money_scale


@dataclass(frozen=True)
class Area:
    """A ward or neighbourhood, its population, and its deprivation decile (1 = most deprived)."""

    id: str
    name: str
    population: int
    decile: int


@dataclass(frozen=True)
class EquityParams:
    """The equity program's published parameters; all money in the instance's units."""

    areas: tuple[Area, ...] = ()
    project_area: Mapping[str, str] = field(default_factory=dict)
    project_organisation: Mapping[str, str] = field(default_factory=dict)
    project_themes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    decile_weights: Mapping[int, Fraction] = field(default_factory=dict)
    floor_share: Fraction = Fraction(0)
    floors: Mapping[str, Fraction] | None = None
    organisation_cap: Fraction | None = None
    organisation_caps: Mapping[str, Fraction] = field(default_factory=dict)
    theme_min_share: Mapping[str, Fraction] = field(default_factory=dict)
    theme_max_share: Mapping[str, Fraction] = field(default_factory=dict)

    def area_floors(self, budget: Fraction) -> dict[str, Fraction]:
        """Return each area's floor: explicit floors, or the published formula."""
        if self.floors is not None:
            return {a: Fraction(v) for a, v in self.floors.items()}
        weighted = {
            a.id: a.population * Fraction(self.decile_weights.get(a.decile, 0)) for a in self.areas
        }
        total = sum(weighted.values(), Fraction(0))
        if total == 0 or self.floor_share == 0:
            return {}
        pot = Fraction(self.floor_share) * budget
        return {a: pot * w / total for a, w in weighted.items() if w > 0}


def params_to_json(params: EquityParams) -> dict[str, Any]:
    """Return equity parameters as JSON values (Fractions as exact strings), for manifests."""

    def text(x: Fraction) -> str:
        return fraction_text(Fraction(x))

    return {
        "areas": [
            {"id": a.id, "name": a.name, "population": a.population, "decile": a.decile}
            for a in params.areas
        ],
        "project_area": dict(sorted(params.project_area.items())),
        "project_organisation": dict(sorted(params.project_organisation.items())),
        "project_themes": {k: list(v) for k, v in sorted(params.project_themes.items())},
        "decile_weights": {str(k): text(v) for k, v in sorted(params.decile_weights.items())},
        "floor_share": text(params.floor_share),
        "floors": (
            None
            if params.floors is None
            else {k: text(v) for k, v in sorted(params.floors.items())}
        ),
        "organisation_cap": (
            None if params.organisation_cap is None else text(params.organisation_cap)
        ),
        "organisation_caps": {k: text(v) for k, v in sorted(params.organisation_caps.items())},
        "theme_min_share": {k: text(v) for k, v in sorted(params.theme_min_share.items())},
        "theme_max_share": {k: text(v) for k, v in sorted(params.theme_max_share.items())},
    }


def params_from_json(data: Mapping[str, Any]) -> EquityParams:
    """Return equity parameters from their JSON form (the inverse of params_to_json)."""

    def exact(value: Any) -> Fraction:
        return Fraction(str(value))

    floors = data.get("floors")
    cap = data.get("organisation_cap")
    return EquityParams(
        areas=tuple(
            Area(str(a["id"]), str(a["name"]), int(a["population"]), int(a["decile"]))
            for a in data.get("areas", [])
        ),
        project_area=dict(data.get("project_area", {})),
        project_organisation=dict(data.get("project_organisation", {})),
        project_themes={k: tuple(v) for k, v in data.get("project_themes", {}).items()},
        decile_weights={int(k): exact(v) for k, v in data.get("decile_weights", {}).items()},
        floor_share=exact(data.get("floor_share", "0")),
        floors=None if floors is None else {k: exact(v) for k, v in floors.items()},
        organisation_cap=None if cap is None else exact(cap),
        organisation_caps={k: exact(v) for k, v in data.get("organisation_caps", {}).items()},
        theme_min_share={k: exact(v) for k, v in data.get("theme_min_share", {}).items()},
        theme_max_share={k: exact(v) for k, v in data.get("theme_max_share", {}).items()},
    )


def _money(x: Fraction) -> str:
    return fraction_text(x)


def equity(
    instance: Instance,
    profile: Profile,
    *,
    tie_break: TieBreak = LEX,
    params: EquityParams | None = None,
    prepared: Prepared | None = None,
) -> Outcome:
    """Fund the most supported projects that meet the area floors, caps and theme shares."""
    params = params or EquityParams()
    prep = prepared or prepare(instance, profile)
    ids = prep.ids
    n = len(ids)
    costs_f = [p.cost for p in instance.projects]
    floors = params.area_floors(instance.budget)
    shares = [*params.theme_min_share.values(), *params.theme_max_share.values()]
    scale = money_scale([*costs_f, instance.budget, *floors.values()])
    share_scale = money_scale([Fraction(s) for s in shares]) if shares else 1
    costs = [int(c * scale) for c in costs_f]
    constraints: list[LinearConstraint] = [
        LinearConstraint(
            "budget",
            f"the total cost is at most the budget of {_money(instance.budget)}",
            dict(enumerate(costs)),
            "<=",
            int(instance.budget * scale),
        ),
        *_floor_constraints(params, ids, costs, floors, scale),
        *_cap_constraints(params, ids, costs, scale),
        *_share_constraints(params, ids, costs, share_scale),
    ]
    weights = list(prep.approvals)
    program = Program(n, weights, constraints)
    optimum = program.solve()
    if optimum is None:
        return _infeasible(instance, tie_break, program)
    target = program.value(optimum)
    order = sorted(range(n), key=lambda i: tie_break.key(ids[i]))
    chosen = lexicographic_best(program, optimum, order)
    report = ProgramReport(
        objective=Fraction(target),
        status="optimal",
        constraints=tuple(_constraint_reports(program, chosen, target, scale, share_scale)),
        tie_break_note=(
            "Among all sets with the greatest support, projects earlier in tie-break order are "
            "preferred one by one (lexicographic)."
        ),
    )
    selected = [ids[i] for i in order if i in chosen]
    return make_outcome(
        "equity",
        instance,
        selected,
        tie_break,
        program=report,
        notes=(
            "The funded set has the greatest total support among those meeting the area "
            "floors, organisation caps and theme shares.",
        ),
        details={
            "feasible": True,
            "floors": {a: _money(v) for a, v in sorted(floors.items())},
            "funds_per_area": _funds_per_area(instance, params, selected),
            "supporters": prep.supporters([ids.index(pid) for pid in selected]),
        },
    )


def _floor_constraints(
    params: EquityParams,
    ids: list[str],
    costs: list[int],
    floors: Mapping[str, Fraction],
    scale: int,
) -> list[LinearConstraint]:
    """Each area receives at least its floor (rounded up to whole units of money)."""
    area_names = {a.id: a.name for a in params.areas}
    deciles = {a.id: a.decile for a in params.areas}
    found = []
    for area_id, floor in sorted(floors.items()):
        members = {
            i: costs[i] for i in range(len(ids)) if params.project_area.get(ids[i]) == area_id
        }
        rhs = floor * scale
        found.append(
            LinearConstraint(
                f"floor:{area_id}",
                f"area {area_names.get(area_id, area_id)} (decile {deciles.get(area_id, '?')}) "
                f"receives at least {_money(floor)}",
                members,
                ">=",
                -((-rhs.numerator) // rhs.denominator),  # ceiling: money is whole units
            )
        )
    return found


def _cap_constraints(
    params: EquityParams, ids: list[str], costs: list[int], scale: int
) -> list[LinearConstraint]:
    """Each organisation with a cap receives at most that."""
    found = []
    for org in sorted(set(params.project_organisation.values())):
        cap = params.organisation_caps.get(org, params.organisation_cap)
        if cap is None:
            continue
        members = {
            i: costs[i] for i in range(len(ids)) if params.project_organisation.get(ids[i]) == org
        }
        rhs = Fraction(cap) * scale
        found.append(
            LinearConstraint(
                f"cap:{org}",
                f"organisation {org} receives at most {_money(Fraction(cap))}",
                members,
                "<=",
                rhs.numerator // rhs.denominator,
            )
        )
    return found


def _share_constraints(
    params: EquityParams, ids: list[str], costs: list[int], share_scale: int
) -> list[LinearConstraint]:
    """Each theme with a share receives at least (or at most) that share of the money spent."""
    found = []
    for theme, bound, sense, word in [
        *((t, s, ">=", "at least") for t, s in sorted(params.theme_min_share.items())),
        *((t, s, "<=", "at most") for t, s in sorted(params.theme_max_share.items())),
    ]:
        share = Fraction(bound)
        # sum_theme cost - share * sum_all cost, scaled to integers.
        coeffs = {}
        for i in range(len(ids)):
            in_theme = theme in params.project_themes.get(ids[i], ())
            coef = Fraction(costs[i]) * ((1 if in_theme else 0) - share) * share_scale
            coeffs[i] = int(coef)
        found.append(
            LinearConstraint(
                f"{'min' if sense == '>=' else 'max'}-share:{theme}",
                f"theme {theme} receives {word} {fraction_text(share * 100)}% of the money spent",
                coeffs,
                sense,
                0,
            )
        )
    return found


def _infeasible(instance: Instance, tie_break: TieBreak, program: Program) -> Outcome:
    """The outcome when no set meets every constraint: nothing funded, the conflict named."""
    conflict = _conflict(program)
    words = [c.description for c in program.constraints if c.name in conflict]
    report = ProgramReport(
        objective=Fraction(0),
        status="infeasible",
        constraints=tuple(
            ConstraintReport(c.name, c.description, c.name in conflict, Fraction(0))
            for c in program.constraints
        ),
        conflicts=tuple(words),
    )
    return make_outcome(
        "equity",
        instance,
        [],
        tie_break,
        program=report,
        notes=(
            "No set of projects meets all the constraints together. These conflict: "
            + "; ".join(words)
            + ". Relax one of them (or add projects) and compute again.",
        ),
        details={"feasible": False, "conflicting_constraints": sorted(conflict)},
    )


def _constraint_reports(
    program: Program, chosen: set[int], target: int, scale: int, share_scale: int
) -> list[ConstraintReport]:
    """Each constraint's slack at the chosen set, and what relaxing it alone would gain."""
    reports = []
    for c in program.constraints:
        slack_scaled = c.slack(chosen)
        price = None
        if c.name != "budget":
            relaxed = program.solve(skip=frozenset({c.name}))
            price = Fraction(program.value(relaxed) - target) if relaxed is not None else None
        divisor = share_scale * scale if ":" in c.name and "share" in c.name else scale
        reports.append(
            ConstraintReport(
                name=c.name,
                description=c.description,
                binding=slack_scaled == 0 or bool(price),
                slack=Fraction(slack_scaled, divisor),
                price=price,
            )
        )
    return reports


def _funds_per_area(
    instance: Instance, params: EquityParams, selected: list[str]
) -> dict[str, str]:
    """The money funded in each area, in words."""
    funds_area: dict[str, str] = {}
    for area_id in sorted({params.project_area.get(pid, "") for pid in selected} - {""}):
        total = sum(
            (
                p.cost
                for p in instance.projects
                if p.id in selected and params.project_area.get(p.id) == area_id
            ),
            Fraction(0),
        )
        funds_area[area_id] = _money(total)
    return funds_area


def _conflict(program: Program) -> set[str]:
    """Return a minimal set of constraint names that cannot hold together (deletion filter)."""
    names = [c.name for c in program.constraints]
    active = set(names)
    for name in names:
        trial = active - {name}
        skip = frozenset(set(names) - trial)
        if program.solve(skip=skip) is None:
            active = trial
    return active

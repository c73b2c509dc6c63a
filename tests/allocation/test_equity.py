"""The equity program: deprivation floors are met, and conflicts are explained in words."""

from __future__ import annotations

from fractions import Fraction

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation import Area, EquityParams, equity, utilitarian

AREAS = (
    Area("north", "Northfield", 9000, 1),
    Area("river", "Riverside", 8000, 2),
    Area("hill", "Hilltop", 7000, 5),
    Area("park", "Parkside", 6000, 7),
    Area("mill", "Millbrook", 5000, 9),
    Area("green", "Greenway", 4000, 10),
)


def demo() -> tuple[Instance, Profile, dict[str, str]]:
    """Return a round in pence where the most popular projects sit in affluent areas."""
    spec = [
        ("p1", 400_000, "green", 90),
        ("p2", 350_000, "mill", 80),
        ("p3", 300_000, "park", 70),
        ("p4", 250_000, "hill", 40),
        ("p5", 200_000, "north", 20),
        ("p6", 150_000, "north", 15),
        ("p7", 200_000, "river", 18),
        ("p8", 100_000, "river", 10),
    ]
    projects = tuple(Project(pid, Fraction(cost)) for pid, cost, _a, _v in spec)
    ballots = []
    for pid, _cost, _area, votes in spec:
        ballots += [Ballot(f"{pid}-{k}", (pid,)) for k in range(votes)]
    instance = Instance(Fraction(1_000_000), projects)
    return instance, Profile("approval", tuple(ballots)), {pid: a for pid, _c, a, _v in spec}


def test_floor_for_deciles_one_and_two_is_met() -> None:
    instance, profile, area_of = demo()
    params = EquityParams(
        areas=AREAS,
        project_area=area_of,
        decile_weights={1: Fraction(3), 2: Fraction(2)},
        floor_share=Fraction(1, 2),
    )
    floors = params.area_floors(instance.budget)
    assert set(floors) == {"north", "river"}
    assert sum(floors.values()) == Fraction(500_000)
    outcome = equity(instance, profile, params=params)
    assert outcome.program is not None and outcome.program.status == "optimal"
    for area_id, floor in floors.items():
        funded = sum(
            (outcome.amounts[p] for p in outcome.selected if area_of[p] == area_id), Fraction(0)
        )
        assert funded >= floor
    # Without floors the deprived areas get nothing: the constraint changes the outcome.
    plain = utilitarian(instance, profile)
    assert not any(area_of[p] in floors for p in plain.selected)
    assert outcome.spent <= instance.budget
    prices = {c.name: c.price for c in outcome.program.constraints}
    assert prices["floor:north"] is not None and prices["floor:north"] > 0


def test_impossible_floor_names_the_conflicting_constraints() -> None:
    instance, profile, area_of = demo()
    params = EquityParams(
        areas=AREAS,
        project_area=area_of,
        floors={"north": Fraction(400_000), "river": Fraction(300_000)},
        organisation_cap=None,
        theme_min_share={},
    )
    outcome = equity(instance, profile, params=params)
    assert outcome.selected == ()
    assert outcome.program is not None and outcome.program.status == "infeasible"
    text = " ".join(outcome.program.conflicts)
    # North's projects only add up to 350,000: its floor alone is impossible.
    assert "Northfield" in text and "at least 400000" in text
    assert "Riverside" not in text
    assert "conflict" in outcome.notes[0]


def test_floor_and_cap_conflict_is_explained() -> None:
    instance, profile, area_of = demo()
    params = EquityParams(
        areas=AREAS,
        project_area=area_of,
        project_organisation={"p5": "Trust A", "p6": "Trust A", "p7": "Trust B"},
        floors={"north": Fraction(300_000)},
        organisation_caps={"Trust A": Fraction(200_000)},
    )
    outcome = equity(instance, profile, params=params)
    assert outcome.program is not None and outcome.program.status == "infeasible"
    names = set(outcome.details["conflicting_constraints"])
    assert names == {"floor:north", "cap:Trust A"}


def test_theme_shares_hold() -> None:
    instance, profile, _area_of = demo()
    themes = {"p1": ("sport",), "p2": ("sport",), "p3": ("health",), "p5": ("health",)}
    params = EquityParams(
        project_themes=themes,
        theme_min_share={"health": Fraction(1, 2)},
        theme_max_share={"sport": Fraction(1, 3)},
    )
    outcome = equity(instance, profile, params=params)
    assert outcome.program is not None and outcome.program.status == "optimal"
    health = sum(
        (outcome.amounts[p] for p in outcome.selected if "health" in themes.get(p, ())), Fraction(0)
    )
    sport = sum(
        (outcome.amounts[p] for p in outcome.selected if "sport" in themes.get(p, ())), Fraction(0)
    )
    assert health * 2 >= outcome.spent
    assert sport * 3 <= outcome.spent


def test_parameters_survive_their_json_form_and_the_verifier_recomputes_equity() -> None:
    """A published equity result is recomputed from the manifest's JSON parameters alone."""
    from audits.canonical import canonical_json, parse_json
    from audits.recompute import allocate
    from decide.allocation import options_from_json, options_to_json

    instance, profile, areas = demo()
    params = EquityParams(
        areas=AREAS,
        project_area=areas,
        decile_weights={1: Fraction(3), 2: Fraction(2)},
        floor_share=Fraction(3, 10),
        organisation_cap=Fraction(900_000),
    )
    recorded = parse_json(canonical_json(options_to_json("equity", {"params": params})))
    assert options_from_json("equity", recorded)["params"] == params
    direct = equity(instance, profile, params=params)
    recomputed = allocate("equity", instance, profile, recorded, {"kind": "lex", "seed": None})
    assert recomputed == {pid: Fraction(direct.amounts[pid]) for pid in direct.selected}
    assert {"p5", "p7"} & set(recomputed)  # the floor funds the deprived areas

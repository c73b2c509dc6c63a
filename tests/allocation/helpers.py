"""Helpers shared by the allocation tests: drawn elections, pabutools conversion, and the
equal-shares engine and screen set up for one election."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from gmpy2 import mpq
from hypothesis import strategies as st

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation import Outcome, TieBreak, equal_shares, mesfloat
from decide.allocation.mes_engine import Engine, Verdict, verdict
from decide.allocation.mesfloat import ScreenSettings
from decide.allocation.prepare import prepare

NO_SCREEN = ScreenSettings(enabled=False)

needs_screen = pytest.mark.skipif(
    not mesfloat.available(), reason="the float screen is not built (make install builds it)"
)


@st.composite
def elections(draw: st.DrawFn, cumulative: bool = False) -> tuple[Instance, Profile]:
    """Draw a small election: few cost values (ties), a budget that some subset fits exactly."""
    m = draw(st.integers(2, 6))
    # Ids chosen so that string order differs from number order ("10" < "9").
    ids = draw(st.permutations(["1", "2", "9", "10", "11", "20"]))[:m]
    costs = [draw(st.sampled_from([1, 2, 3, 4, 6, 10])) for _ in range(m)]
    subset = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    budget = sum(c for c, s in zip(costs, subset) if s) or costs[0]
    if draw(st.booleans()):
        budget += draw(st.integers(0, 3))
    n = draw(st.integers(1, 9))
    ballots = []
    for v in range(n):
        chosen = draw(st.lists(st.sampled_from(ids), max_size=m, unique=True))
        points = tuple(draw(st.integers(1, 3)) for _ in chosen) if cumulative else None
        ballots.append(Ballot(str(v), tuple(chosen), points))
    instance = Instance(
        Fraction(budget), tuple(Project(i, Fraction(c)) for i, c in zip(ids, costs))
    )
    return instance, Profile("cumulative" if cumulative else "approval", tuple(ballots))


@st.composite
def costly_elections(draw: st.DrawFn) -> tuple[Instance, Profile]:
    """Draw elections whose costs dwarf the per-voter share, so Add1 takes many steps."""
    m = draw(st.integers(3, 9))
    ids = [str(i) for i in draw(st.lists(st.integers(1, 60), min_size=m, max_size=m, unique=True))]
    costs = [draw(st.sampled_from([10, 20, 30, 45, 60, 75, 100])) * 40 for _ in ids]
    budget = sum(costs) // draw(st.integers(2, 4))
    cumulative = draw(st.booleans())
    ballots = []
    for v in range(draw(st.integers(5, 40))):
        chosen = draw(st.lists(st.sampled_from(ids), max_size=5, unique=True))
        points = tuple(draw(st.integers(1, 4)) for _ in chosen) if cumulative else None
        ballots.append(Ballot(str(v), tuple(chosen), points))
    instance = Instance(
        Fraction(budget), tuple(Project(i, Fraction(c)) for i, c in zip(ids, costs))
    )
    return instance, Profile("cumulative" if cumulative else "approval", tuple(ballots))


def to_pabutools(instance: Instance, profile: Profile) -> tuple[Any, Any]:
    """Convert with exact costs and budget (Fractions, so decimals are kept)."""
    from pabutools.election import (
        ApprovalBallot,
        ApprovalProfile,
        CumulativeBallot,
        CumulativeProfile,
    )
    from pabutools.election import Instance as PInstance
    from pabutools.election import Project as PProject

    projects = {p.id: PProject(p.id, p.cost) for p in instance.projects}
    inst = PInstance(projects.values(), budget_limit=instance.budget)
    if profile.vote_type == "cumulative":
        prof = CumulativeProfile(
            [
                CumulativeBallot({projects[i]: pt for i, pt in zip(b.projects, b.points or ())})
                for b in profile.ballots
            ],
            instance=inst,
        )
    else:
        prof = ApprovalProfile(
            [ApprovalBallot({projects[i] for i in b.projects}) for b in profile.ballots],
            instance=inst,
        )
    return inst, prof


def names(allocation: Any) -> list[str]:
    """The sorted project names of a pabutools allocation."""
    return sorted(str(p.name) for p in allocation)


def engine_of(
    instance: Instance, profile: Profile, tie: TieBreak | None = None
) -> tuple[Engine, mpq]:
    """The exact equal-shares engine for an election, and B/n."""
    prep = prepare(instance, profile)
    return Engine(prep, tie or TieBreak()), prep.budget / prep.n_voters


def add1_by_every_step(engine: Engine, base: mpq) -> tuple[list[int], int]:
    """pabutools' Add1 loop, one exact run per step: the outcome and its k."""
    previous: list[int] = []
    k = 0
    while True:
        run = engine.run(base + k, certify=False)
        found = verdict(engine.prep, engine.free + run.selected, engine.candidates)
        if found is Verdict.OVER:
            return previous, k - 1
        if found is Verdict.STOP:
            return run.selected, k
        previous = run.selected
        k += 1


def screened_and_exact(
    instance: Instance, profile: Profile, **options: Any
) -> tuple[Outcome, Outcome]:
    """Equal shares with the float screen and without it."""
    screened = equal_shares(instance, profile, **options)
    exact = equal_shares(instance, profile, **options, screen=NO_SCREEN)
    return screened, exact

"""The compiled float screen behind Add1 (decide/allocation/mesfloat.py and _mesfloat.c).

Its runs must match exact runs whenever it calls them clear, its interval proofs must hold at
every budget inside the interval, and equal shares must give the same outcome with it and
without it.
"""

from __future__ import annotations

import math
import os
import signal
import time
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation import PLAIN, MesOptions, equal_shares, mes_screen, mesfloat
from decide.allocation.mes import add1_exact
from decide.allocation.mes_engine import Engine, Verdict
from decide.allocation.mes_screen import (
    Cancelled,
    Scan,
    add1_screened,
    confirm_classes,
    float_runner,
    group_order,
)
from tests.allocation.conftest import parsed
from tests.allocation.helpers import (
    NO_SCREEN,
    add1_by_every_step,
    costly_elections,
    elections,
    engine_of,
    needs_screen,
    screened_and_exact,
)


def _screened_engine(
    election: tuple[Instance, Profile],
) -> tuple[Engine, Any, mesfloat.FloatRunner] | None:
    """The engine, B/n and float screen of a drawn election; None if nothing can be funded."""
    engine, base = engine_of(*election)
    if engine.prep.n_voters == 0 or not engine.candidates:
        return None
    runner = float_runner(engine)
    assert runner is not None
    return engine, base, runner


@needs_screen
@pytest.mark.parametrize("name", ["Poland_Warszawa_2019_Ochota", "France_Toulouse_2019"])
def test_the_screen_numbers_voter_groups_for_memory_not_for_outcomes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen renumbers voter groups so that one project's supporters sit together in
    memory (group_order): a permutation, in which groups sharing the most supported project
    come first, and runs and Add1 come out as with the groups in their first order."""
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    prep = engine.prep
    new = group_order(prep)
    assert sorted(new) == list(range(len(prep.mult)))
    top = max(range(len(prep.ids)), key=lambda i: (prep.approvals[i], -i))
    holding = {g for g, ballot in enumerate(prep.groups) if any(i == top for i, _ in ballot)}
    assert holding and {g for g in range(len(new)) if new[g] < len(holding)} == holding
    reordered = float_runner(engine)
    monkeypatch.setattr(mes_screen, "group_order", lambda prep: list(range(len(prep.mult))))
    plain = float_runner(engine)
    assert reordered is not None and plain is not None
    for k in range(0, 300, 17):
        a, b = reordered.run(float(base + k)), plain.run(float(base + k))
        assert (a.status == mesfloat.TOO_CLOSE) == (b.status == mesfloat.TOO_CLOSE), k
        if a.status != mesfloat.TOO_CLOSE:
            assert a.order == b.order, k
    assert add1_screened(engine, base, 2)[:3] == add1_exact(engine, base)[:3]


def test_float_screen_is_built() -> None:
    """`make install` compiles the screen; without it equal shares is far slower."""
    assert mesfloat.LIBRARY.exists(), "run `make install` to build decide/allocation/_mesfloat.so"
    assert mesfloat.available(), "decide/allocation/_mesfloat.so is stale: run `make install`"


def test_the_c_source_and_the_wrapper_agree_on_the_interface_version() -> None:
    source = (mesfloat.LIBRARY.parent / "_mesfloat.c").read_text(encoding="utf-8")
    assert f"int mes_float_version(void)\n{{\n    return {mesfloat.VERSION};" in source


@needs_screen
@pytest.mark.parametrize(
    ("name", "ks"),
    [
        ("France_Toulouse_2024", [0, 1, 2, 40, 333, 668, 669]),
        ("Poland_Warszawa_2021_Ochota", [0, 7, 80, 160, 161]),
        ("Netherlands_Amsterdam_604", [0, 1, 30, 55, 56]),
        ("France_Toulouse_2019", [0, 3, 300, 736, 737]),  # cumulative ballots
        ("Poland_Czestochowa_2024", [0, 9, 200, 365, 366]),  # cumulative ballots
    ],
)
def test_clear_float_runs_are_the_exact_runs(name: str, ks: list[int]) -> None:
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    clear = 0
    for k in ks:
        run = runner.run(float(base + k))
        if run.status == mesfloat.TOO_CLOSE:
            continue
        clear += 1
        assert run.order == engine.run(base + k, certify=False).selected, k
    assert clear >= len(ks) - 1  # near-ties are rare on real data


@needs_screen
@pytest.mark.parametrize(
    ("name", "limit"), [("Poland_Krakow_2024_Podgorze", 40), ("France_Toulouse_2019", 60)]
)
def test_interval_proofs_hold_at_every_budget_inside(
    name: str, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stretch Add1 gallops over gives, at each whole step inside it, the same run."""
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    proved: list[tuple[float, float, list[int]]] = []
    real_run = mesfloat.FloatRunner.run
    real_check = mesfloat.FloatRunner.check

    def note(start: float, check: Any, result: Any) -> Any:
        if check is not None and result.status == mesfloat.CLEAR and start - check.start >= 2:
            proved.append((check.start, start, result.order))
        return result

    def recording_run(self: mesfloat.FloatRunner, start: float, check: Any = None) -> Any:
        return note(start, check, real_run(self, start, check))

    def recording_check(
        self: mesfloat.FloatRunner, start: float, anchor: Any, hints: Any = None
    ) -> Any:
        return note(start, anchor, real_check(self, start, anchor, hints))

    monkeypatch.setattr(mesfloat.FloatRunner, "run", recording_run)
    monkeypatch.setattr(mesfloat.FloatRunner, "check", recording_check)
    assert add1_screened(engine, base, 2) is not None
    assert proved, "the galloping never proved a stretch"
    checked = 0
    for lo, hi, order in proved:
        k = int(lo - float(base)) + 1
        while float(base + k) < hi and checked < limit:
            assert engine.run(base + k, certify=False).selected == order, k
            checked += 1
            k += 1
    assert checked >= min(limit, 10)


@needs_screen
@pytest.mark.parametrize(
    ("name", "k"),
    [
        ("France_Toulouse_2024", 669),
        ("Poland_Warszawa_2019_Ochota", 62),
        ("France_Toulouse_2019", 737),
        ("Poland_Krakow_2024_Podgorze", 0),
    ],
)
def test_replay_gives_the_rounds_of_the_full_run(name: str, k: int) -> None:
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    full = engine.run(base + k, certify=False)
    assert engine.replay(base + k, full.selected) == full.rounds


def test_replay_refuses_an_order_that_is_not_affordable() -> None:
    instance = Instance(Fraction(10), (Project("a", Fraction(8)), Project("b", Fraction(8))))
    profile = Profile("approval", (Ballot("1", ("a", "b")), Ballot("2", ("a", "b"))))
    engine, base = engine_of(instance, profile)
    with pytest.raises(ValueError, match="unaffordable"):
        engine.replay(base, [0, 1])


@needs_screen
def test_a_lone_supporter_who_can_just_pay_is_too_close_for_floats() -> None:
    """Money exactly equal to the cost: the float screen defers, the exact run funds it."""
    instance = Instance(
        Fraction(2000),
        tuple(Project(i, Fraction(c)) for i, c in [("1", 400), ("2", 400), ("3", 800)]),
    )
    ballots = [Ballot(str(v), ()) for v in range(4)] + [Ballot("4", ("1",))]
    profile = Profile("approval", tuple(ballots))
    engine, base = engine_of(instance, profile)
    runner = float_runner(engine)
    assert runner is not None
    assert runner.run(float(base)).status == mesfloat.TOO_CLOSE
    outcome = equal_shares(instance, profile)
    assert outcome.details["mes_selected"] == ["1"]
    assert outcome.details["add1_increment"] == 0


def _check_screened(election: tuple[Instance, Profile], threads: int = 2) -> None:
    instance, profile = election
    engine, base = engine_of(instance, profile)
    if engine.prep.n_voters == 0:
        return
    screened = add1_screened(engine, base, threads)
    assert screened is not None
    chosen, rounds, k, _runs = screened
    expected, expected_k = add1_by_every_step(engine, base)
    assert sorted(chosen) == sorted(expected)
    assert k == expected_k
    assert rounds == engine.run(base + k, certify=False).rounds


@needs_screen
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costly_elections())
def test_screened_add1_lands_where_every_step_lands(election: tuple[Instance, Profile]) -> None:
    _check_screened(election)


@needs_screen
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(election=costly_elections(), data=st.data())
def test_a_proved_stretch_gives_the_same_run_at_every_budget_inside(
    election: tuple[Instance, Profile], data: st.DataObject
) -> None:
    """Whatever two budgets a check is asked about, when it says "proved" the exact run at
    every whole step between them, and half-way between steps too, funds the anchor's order."""
    loaded = _screened_engine(election)
    if loaded is None:
        return
    engine, base, runner = loaded
    exact: dict[Any, list[int]] = {}

    def order_at(budget: Any) -> list[int]:
        if budget not in exact:
            exact[budget] = engine.run(budget, certify=False).selected
        return exact[budget]

    for _ in range(6):
        lo = data.draw(st.integers(0, 120), label="lo")
        hi = lo + data.draw(st.integers(1, 150), label="width")
        anchor = runner.run(float(base + lo))
        if anchor.status == mesfloat.TOO_CLOSE:
            continue
        if runner.check(float(base + hi), anchor).status != mesfloat.CLEAR:
            continue
        for k in range(lo, hi + 1):
            assert order_at(base + k) == anchor.order, (lo, hi, k)
            if k < hi:
                assert order_at(base + k + Fraction(1, 2)) == anchor.order, (lo, hi, k)


def _exact_prices(engine: Engine, start: Any, order: list[int], rounds: int) -> list[dict]:
    """For each of the first `rounds` rounds of funding `order` from per-voter budget `start`,
    every project's exact MES price then (None when its supporters cannot afford it), by plain
    water-filling in fractions: the reference for the float screen's bounds."""
    prep = engine.prep
    budget = {g: Fraction(start) for g in range(len(prep.mult))}
    sat: list[dict[int, Fraction]] = []
    for p in range(len(prep.ids)):
        if prep.cardinal:
            sat.append({g: Fraction(u) for g, u in engine.sup[p]})
        else:
            sat.append({g: Fraction(prep.costs[p]) for g in engine.sup_groups[p]})

    def price(p: int) -> Fraction | None:
        cost = Fraction(prep.costs[p])
        rows = sorted((budget[g] / u, g) for g, u in sat[p].items() if budget[g] > 0)
        paid, rest = Fraction(0), sum(prep.mult[g] * sat[p][g] for _k, g in rows)
        for key, g in rows:  # groups in order of budget per unit: the first ones pay all
            if rest > 0 and (cost - paid) / rest <= key:
                return (cost - paid) / rest
            paid += prep.mult[g] * budget[g]
            rest -= prep.mult[g] * sat[p][g]
        return rows[-1][0] if rows and paid == cost else None  # all pay all, or cannot

    found = []
    for r in range(rounds):
        prices = {p: price(p) for p in engine.candidates if p not in order[:r]}
        found.append(prices)
        s, rho = order[r], prices[order[r]]
        assert rho is not None
        for g, u in sat[s].items():
            budget[g] = max(Fraction(0), budget[g] - rho * u)
    return found


@needs_screen
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(election=costly_elections(), data=st.data())
def test_a_failed_checks_bounds_are_below_the_exact_prices(
    election: tuple[Instance, Profile], data: st.DataObject
) -> None:
    """The price bounds a failed check hands to a shorter try (see FloatRunner.check) must be
    below every project's exact price in their round at the failed check's own budget, the
    lowest prices of the stretch (prices only fall as budgets grow)."""
    loaded = _screened_engine(election)
    if loaded is None:
        return
    engine, base, runner = loaded
    lo = data.draw(st.integers(0, 60), label="lo")
    anchor = runner.run(float(base + lo))
    if anchor.status == mesfloat.TOO_CLOSE or not anchor.order:
        return
    width = data.draw(st.integers(1, 400), label="width")
    failed = runner.check(float(base + lo + width), anchor)
    if failed.status == mesfloat.CLEAR or failed._lb_rounds == 0:
        return
    exact = _exact_prices(engine, base + lo + width, anchor.order, failed._lb_rounds)
    local = {p: i for i, p in enumerate(runner.projects)}
    n = len(runner.projects)
    for r, prices in enumerate(exact):
        for p, rho in prices.items():
            bound = failed._lbs[r * n + local[p]]
            assert rho is None or bound <= float(rho) * (1 + 1e-12), (r, p, bound, rho)


@needs_screen
@pytest.mark.parametrize("name", ["France_Toulouse_2019", "Poland_Krakow_2024_Podgorze"])
def test_a_failed_checks_bounds_carry_over_to_a_shorter_try(name: str) -> None:
    """After a check from a run fails at some budget, a shorter try from the same run may start
    from the price bounds it proved (prices are only higher at smaller budgets): it must decide
    as it does without them, and what it proves must hold at every step."""
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    carried = 0
    for lo in range(0, 200, 11):
        anchor = runner.run(float(base + lo))
        if anchor.status == mesfloat.TOO_CLOSE:
            continue
        failed = runner.check(float(base + lo + 300), anchor)
        if failed.status == mesfloat.CLEAR or failed._lb_rounds == 0:
            continue
        carried += 1
        for width in (2, 5, 20, 60):
            with_hints = runner.check(float(base + lo + width), anchor, failed)
            without = runner.check(float(base + lo + width), anchor)
            assert with_hints.status == without.status, (lo, width)
            if with_hints.status == mesfloat.CLEAR:
                for k in (lo + 1, lo + width // 2, lo + width):
                    assert engine.run(base + k, certify=False).selected == anchor.order
    assert carried > 0


@needs_screen
@pytest.mark.parametrize(
    "name", ["Poland_Warszawa_2019_Ochota", "France_Toulouse_2019", "Poland_Krakow_2024_Podgorze"]
)
def test_checks_decide_the_same_with_and_without_the_pure_prefix(name: str) -> None:
    """The rounds where nobody pays all they have are followed without budgets when possible
    (mes_float_prefix): every check and run must come out as it does when they are followed in
    full."""
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    plain = float_runner(engine)
    assert plain is not None
    plain._prefix = lambda anchor: (0, None, None)  # type: ignore[method-assign]
    shortcut = 0
    for lo in range(0, 120, 7):
        anchor = runner.run(float(base + lo))
        if anchor.status == mesfloat.TOO_CLOSE:
            continue
        shortcut += runner._prefix(anchor)[0] > 0
        for width in (1, 3, 10, 40):
            fast = runner.check(float(base + lo + width), anchor)
            slow = plain.check(float(base + lo + width), anchor)
            assert (fast.status, fast.order) == (slow.status, slow.order), (lo, width)
            if fast.status == mesfloat.CLEAR:
                # Budgets reached by one subtraction or by several round differently: the
                # prices agree within their error bounds.
                for r in range(len(fast.order)):
                    bound = 8 * (fast._errors[r] + slow._errors[r])
                    assert abs(fast._prices[r] - slow._prices[r]) <= bound, (lo, width, r)
                    assert fast._voters[r] == slow._voters[r]
    assert shortcut > 0
    # Runs at budgets from the prefix's own on start from it too (FloatRunner.run).
    assert runner._run_prefix is not None
    for k in range(0, 200, 9):
        fast, slow = runner.run(float(base + k)), plain.run(float(base + k))
        assert (fast.status, fast.order) == (slow.status, slow.order), k


@needs_screen
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costly_elections())
def test_a_check_never_proves_a_stretch_where_another_order_comes_and_goes(
    election: tuple[Instance, Profile],
) -> None:
    """Budgets a < c whose runs fund the same order, with some budget between them funding
    another (a rival dips below the winner and comes back above it): the runs at a and c agree,
    so only the proof's treatment of the budgets between (the winner's chord, the rival's
    tangent) can refuse the stretch, and it must."""
    loaded = _screened_engine(election)
    if loaded is None:
        return
    engine, base, runner = loaded
    runs = [runner.run(float(base + k)) for k in range(200)]
    last: dict[tuple[int, ...], int] = {}
    for k, run in enumerate(runs):
        if run.status == mesfloat.TOO_CLOSE:
            continue
        order = tuple(run.order)
        a = last.get(order)
        last[order] = k
        if a is None or a == k - 1:
            continue
        between = [j for j in range(a + 1, k) if runs[j].status != mesfloat.TOO_CLOSE]
        if all(tuple(runs[j].order) == order for j in between):
            continue
        j = next(j for j in between if tuple(runs[j].order) != order)
        assert engine.run(base + j, certify=False).selected != list(order)  # truly another
        assert runner.check(float(base + k), runs[a]).status != mesfloat.CLEAR, (a, j, k)


@needs_screen
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(cumulative=True))
def test_screened_add1_with_points_lands_where_every_step_lands(
    election: tuple[Instance, Profile],
) -> None:
    _check_screened(election)


@needs_screen
@pytest.mark.parametrize("completion", [True, False])
@pytest.mark.parametrize(
    "name",
    ["Poland_Warszawa_2019_Ochota", "Netherlands_Amsterdam_604", "Poland_Katowice_2024_Murcki"],
)
def test_equal_shares_is_the_same_with_and_without_the_screen(
    name: str, completion: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    pb = parsed(name)
    options = MesOptions(add1=completion, completion=completion)
    screened = equal_shares(pb.instance, pb.profile, options=options)
    exact = equal_shares(pb.instance, pb.profile, options=options, screen=NO_SCREEN)
    assert screened.selected_sorted == exact.selected_sorted
    assert screened.steps == exact.steps
    for key in ("add1_increment", "mes_budget_per_voter", "mes_selected"):
        assert screened.details[key] == exact.details[key]


def _prove(runner: Any, how: str, start: float, anchor: Any) -> int:
    if how == "run":
        return runner.run(start, anchor).status
    return runner.check(start, anchor).status


@needs_screen
def test_interval_check_fails_when_a_rival_could_undercut_the_winner() -> None:
    """Pretend the winners cost half as much again at the lower budget: some rival at the
    higher budget is then cheaper than that, so the run proves nothing about the stretch."""
    pb = parsed("France_Toulouse_2024")
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    low = runner.run(float(base))
    assert low.status == mesfloat.CLEAR
    # A run proves the one-point stretch to itself.
    assert runner.run(float(base), low).status == mesfloat.CLEAR
    for r in range(len(low.order)):
        low._prices[r] *= 1.5
    assert runner.run(float(base), low).status == mesfloat.NOT_PROVED


@needs_screen
def test_the_check_proves_its_own_budget_and_not_past_a_change() -> None:
    """A check from a run to that run's own budget holds; one to the first budget whose run
    funds another order fails, and guesses where the order changes (never past that budget)."""
    pb = parsed("France_Toulouse_2024")
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    low = runner.run(float(base))
    assert runner.check(float(base), low).status == mesfloat.CLEAR
    far = next(k for k in range(1, 5000) if runner.run(float(base + k)).order != low.order)
    failed = runner.check(float(base + far), low)
    assert failed.status == mesfloat.ABANDONED
    assert math.isnan(failed.reach) or float(base) <= failed.reach <= float(base + far)


@needs_screen
@pytest.mark.parametrize("name", ["Poland_Krakow_2024_Podgorze", "France_Toulouse_2019"])
def test_checks_prove_each_stretch_up_to_where_the_order_changes(name: str) -> None:
    """Between two budgets whose runs fund the same projects in the same order, with no other
    order at any whole step between (found by running every step), the check proves the
    stretch at least half the time: the chord and tangent follow the prices as they fall
    together (it fails mostly next to a change, where two prices nearly tie). One step past a
    stretch, where the order differs, it never proves anything."""
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    runs = [runner.run(float(base + k)) for k in range(400)]
    assert all(r.status != mesfloat.TOO_CLOSE for r in runs)
    stretches = []  # (first, last) whole steps of one order
    first = 0
    for k in range(1, len(runs) + 1):
        if k == len(runs) or runs[k].order != runs[first].order:
            stretches.append((first, k - 1))
            first = k
    proved = tried = 0
    for first, last in stretches:
        for lo, hi in ((first, last), (first, (first + last) // 2)):
            if hi - lo < 2:
                continue
            tried += 1
            if runner.check(float(base + hi), runs[lo]).status == mesfloat.CLEAR:
                proved += 1
        # Past the stretch's end, the next step's order differs: never proved.
        if last + 1 < len(runs):
            assert runner.check(float(base + last + 1), runs[first]).status != mesfloat.CLEAR
    assert tried >= 2
    assert proved * 2 >= tried, (proved, tried)


@needs_screen
@pytest.mark.parametrize("how", ["run", "check"])
def test_interval_check_fails_when_the_order_differs(how: str) -> None:
    pb = parsed("France_Toulouse_2024")
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    low = runner.run(float(base))
    first, second = low._seq[0], low._seq[1]
    low._seq[0], low._seq[1] = second, first
    assert _prove(runner, how, float(base), low) in (mesfloat.NOT_PROVED, mesfloat.ABANDONED)


@needs_screen
def test_check_fails_when_another_project_is_still_affordable_at_the_end() -> None:
    """Cut the lower run short: at the end, projects it would still fund are affordable."""
    pb = parsed("France_Toulouse_2024")
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    low = runner.run(float(base))
    low.order = low.order[:-3]
    assert runner.check(float(base), low).status == mesfloat.ABANDONED


@needs_screen
def test_the_outcome_json_does_not_depend_on_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Confirmed results are hashed from to_json_dict(): with or without the compiled screen
    (an auditor's machine may lack it), the JSON must be byte for byte the same."""
    pb = parsed("Poland_Warszawa_2019_Ochota")
    screened = equal_shares(pb.instance, pb.profile).to_json_dict()
    assert equal_shares(pb.instance, pb.profile, screen=NO_SCREEN).to_json_dict() == screened


# Found by a second reader: rounding errors grow far past 1e-9 relative once a voter has spent
# nearly everything (what is left keeps the absolute error of the payment). The screen carries
# error bounds for that; these two elections went wrong before it did.


def test_money_exactly_equal_to_cost_after_a_near_total_spend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance = Instance(
        Fraction(108372187), (Project("1", Fraction(108372184)), Project("2", Fraction(3)))
    )
    profile = Profile("approval", tuple(Ballot(str(v), ("1", "2")) for v in range(11)))
    screened, exact = screened_and_exact(instance, profile, options=PLAIN)
    assert exact.selected_sorted == ("1", "2")  # what pabutools 1.2.3 funds
    assert screened.to_json_dict() == exact.to_json_dict()
    screened, exact = screened_and_exact(instance, profile)
    assert screened.to_json_dict() == exact.to_json_dict()
    assert screened.details["add1_increment"] == 0


def test_price_order_after_a_near_total_spend(monkeypatch: pytest.MonkeyPatch) -> None:
    t = 11813867
    ballots = [Ballot(f"a{i}", ("1", "2")) for i in range(11)]
    ballots += [Ballot(f"e{i}", ("1",)) for i in range(2)]
    ballots += [Ballot("c", ("2", "3")), Ballot("d", ("3",))]
    instance = Instance(
        Fraction(15 * t),
        (
            Project("1", Fraction(13 * t - 1)),
            Project("2", Fraction(22000000000, 13000000039)),
            Project("3", Fraction(2)),
        ),
    )
    profile = Profile("approval", tuple(ballots))
    screened, exact = screened_and_exact(instance, profile, options=PLAIN)
    assert [s.project for s in exact.steps] == ["1", "2", "3"]  # pabutools' order
    assert screened.to_json_dict() == exact.to_json_dict()


@needs_screen
@pytest.mark.parametrize(
    ("name", "k"),
    [
        ("France_Toulouse_2024", 669),
        ("Poland_Warszawa_2026", 184),
        ("Poland_Warszawa_2019_Ochota", 62),
        ("Netherlands_Amsterdam_604", 0),
    ],
)
def test_confirmed_classes_gives_the_rounds_of_the_full_run(name: str, k: int) -> None:
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    full = engine.run(base + k, certify=False)
    rounds = confirm_classes(engine, base + k, full.selected, runner)
    assert rounds is not None
    assert rounds == full.rounds


@needs_screen
def test_confirmed_classes_refuses_a_wrong_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class the screen says pays all it has, which exact arithmetic says pays the share,
    makes the classes unusable (the caller then replays group by group)."""
    pb = parsed("Poland_Warszawa_2019_Ochota")
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    order = engine.run(base, certify=False).selected
    real = mesfloat.FloatRunner.classes

    def flipped(self: mesfloat.FloatRunner, start: float, order: list[int]) -> Any:
        starts, out = real(self, start, order)
        out[3] = 1 - out[3]
        return starts, out

    monkeypatch.setattr(mesfloat.FloatRunner, "classes", flipped)
    assert confirm_classes(engine, base, order, runner) is None


def test_replay_refuses_an_order_whose_prices_fall() -> None:
    """In a run of the method prices never fall from round to round; an order that makes them
    fall cannot be the run's, so the replay refuses it (the caller then runs exactly)."""
    pb = parsed("Poland_Warszawa_2019_Ochota")
    engine, base = engine_of(pb.instance, pb.profile)
    order = engine.run(base, certify=False).selected
    with pytest.raises(ValueError, match="prices fall"):
        engine.replay(base, order[::-1])


@needs_screen
@pytest.mark.parametrize("first_block", [1, 3])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(election=costly_elections())
def test_screened_add1_in_small_blocks_lands_where_every_step_lands(
    first_block: int, election: tuple[Instance, Profile]
) -> None:
    """Blocks of Add1's budgets are followed on their own: the outcome must not depend on where
    they start and end, nor on whether they run in two threads or one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mes_screen, "FIRST_BLOCK", first_block)
        _check_screened(election, threads=2)
        _check_screened(election, threads=1)


@needs_screen
@pytest.mark.parametrize(
    "name", ["Poland_Warszawa_2019_Ochota", "France_Toulouse_2019", "Netherlands_Amsterdam_604"]
)
def test_add1_is_the_same_in_two_threads_and_in_one(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pb = parsed(name)
    engine, base = engine_of(pb.instance, pb.profile)
    monkeypatch.setattr(mes_screen, "FIRST_BLOCK", 4)
    threaded = add1_screened(engine, base, 2)
    alone = add1_screened(engine, base, 1)
    assert threaded is not None and alone is not None
    assert threaded[:3] == alone[:3]
    assert threaded[2] > 8  # several blocks were crossed before Add1 stopped


def test_two_workers_on_more_than_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller passes the thread count in: one gives no pool, two a pool of two."""
    monkeypatch.setattr(mesfloat, "_pool", None)
    assert mesfloat.workers(1) is None
    pool = mesfloat.workers(2)
    assert pool is not None and pool._max_workers == 2
    pool.shutdown()


def test_equal_pure_prices_of_points_ballots_are_an_exact_tie_over_a_long_add1() -> None:
    """Two projects of the same cost, each with the same single supporter and one point: their
    prices are equal at every budget (a pure price, cost / points). Add1 runs to step 1,530,824
    here (then "1", which the second voter also supports, becomes affordable and the outcome
    costs more than the budget). The tie must be recognised as exact, not "too close to call",
    else every one of those steps is run on its own (it took 40 s; found by
    test_mesfloat_bounds.py, where it stalled the suite now and then)."""
    budget = Fraction(6123293)
    instance = Instance(
        budget,
        (
            Project("1", budget + 2),
            Project("2", budget / 2),
            Project("3", budget / 2),
        ),
    )
    profile = Profile(
        "cumulative", (Ballot("0", ("1", "2", "3"), (1, 1, 1)), Ballot("1", ("1",), (1,)))
    )
    engine, base = engine_of(instance, profile)
    exact = add1_exact(engine, base)
    assert exact[2] == 1_530_824 and exact[0] == [engine.prep.ids.index("2")]
    assert exact[3] < 50
    if mesfloat.available():
        screened = add1_screened(engine, base, 2)
        assert screened is not None
        assert screened[:3] == exact[:3]
        assert screened[3] < 1000
    outcome = equal_shares(instance, profile)
    assert outcome.selected_sorted == ("2", "3")


@needs_screen
def test_add1_reaches_a_stop_hundreds_of_millions_of_steps_away() -> None:
    """Two voters, a project costing all but a penny of the budget and a penny project: Add1
    stops only after about 1.7e8 steps. Blocks of budgets double in size, so the loop's proofs
    still cross them in a few hundred runs, where fixed blocks would need hundreds of
    thousands. The stop: both pay a third of a penny for "2", then need 2 (B/3 + k - 1/300) >=
    B - 1/100 for "1", so k = 166,666,667."""
    budget = Fraction(10**9)
    penny = Fraction(1, 100)
    instance = Instance(budget, (Project("1", budget - penny), Project("2", penny)))
    ballots = (Ballot("a", ("1", "2")), Ballot("b", ("1", "2")), Ballot("c", ("2",)))
    engine, base = engine_of(instance, Profile("approval", ballots))
    screened = add1_screened(engine, base, 2)
    assert screened is not None
    chosen, _rounds, k, runs = screened
    assert k == 166_666_667
    assert sorted(engine.prep.ids[i] for i in chosen) == ["1", "2"]
    assert runs < 5_000


@needs_screen
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_gets_workers_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A web server forks its workers after start-up: a pool made in the parent has no threads
    in the child, and blocks handed to it would wait for ever."""
    monkeypatch.setattr(mesfloat, "_pool", None)
    parent_pool = mesfloat.workers(2)
    assert parent_pool is not None
    assert parent_pool.submit(lambda: 1).result() == 1  # the parent's threads have started
    pb = parsed("Netherlands_Amsterdam_604")
    engine, base = engine_of(pb.instance, pb.profile)
    expected = add1_screened(engine, base, 2)
    assert expected is not None
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            got = add1_screened(engine, base, 2)
            own = mesfloat.workers(2) is not parent_pool
            ok = got is not None and got[:3] == expected[:3] and own
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("Add1 in the forked child did not finish")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0
    parent_pool.shutdown()


@needs_screen
def test_a_cancelled_block_stops_before_an_exact_run() -> None:
    """Once Add1 has its answer, a block still running in the other thread must not start an
    exact run (those can take seconds): it stops and its finding is never read."""
    pb = parsed("Netherlands_Amsterdam_604")
    engine, base = engine_of(pb.instance, pb.profile)
    runner = float_runner(engine)
    assert runner is not None
    scan = Scan(engine, base, runner)
    assert scan.block(0, 4)[0] in Verdict
    scan.cancelled = True
    with pytest.raises(Cancelled):
        scan.exact(0)
    assert scan.block(0, 4)[0] is Verdict.GO_ON

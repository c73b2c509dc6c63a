"""The compiled float screen behind Add1 (decide/allocation/mesfloat.py and _mesfloat.c).

Its runs must match exact runs whenever it calls them clear, and its interval proofs must hold
at every budget inside the interval. test_mes_screen.py tests the Add1 loop built on it.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.model import Instance, Profile
from decide.allocation import mes_screen, mesfloat
from decide.allocation.mes import add1_exact
from decide.allocation.mes_engine import Engine
from decide.allocation.mes_screen import (
    add1_screened,
    float_runner,
    group_order,
)
from tests.allocation.conftest import parsed
from tests.allocation.helpers import (
    costly_elections,
    engine_of,
    needs_screen,
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


def test_a_library_that_will_not_load_is_set_aside(tmp_path, monkeypatch) -> None:
    """A truncated or foreign _mesfloat.so is refused like a stale one, not raised."""
    from decide.allocation import mesfloat_abi

    broken = tmp_path / "_mesfloat.so"
    broken.write_bytes(b"not an ELF file")
    monkeypatch.setattr(mesfloat_abi, "LIBRARY", broken)
    assert mesfloat_abi.load() is None

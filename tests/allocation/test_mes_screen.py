"""Equal shares' Add1 loop on the float screen (decide/allocation/mes_screen.py).

The screened loop must land where pabutools' loop lands, one exact run per step; the rounds it
returns must be the exact ones (replayed or confirmed from the screen's classes); and equal
shares must give the same outcome with the screen and without it, in one thread or two.
"""

from __future__ import annotations

import os
import signal
import time
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation import PLAIN, MesOptions, equal_shares, mes_screen, mesfloat
from decide.allocation.mes import add1_exact
from decide.allocation.mes_engine import Verdict
from decide.allocation.mes_screen import (
    Cancelled,
    Scan,
    add1_screened,
    confirm_classes,
    float_runner,
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


@needs_screen
def test_the_outcome_json_does_not_depend_on_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Confirmed results are hashed from to_json_dict(): with or without the compiled screen
    (an auditor's machine may lack it), the JSON must be byte for byte the same."""
    pb = parsed("Poland_Warszawa_2019_Ochota")
    screened = equal_shares(pb.instance, pb.profile).to_json_dict()
    assert equal_shares(pb.instance, pb.profile, screen=NO_SCREEN).to_json_dict() == screened


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

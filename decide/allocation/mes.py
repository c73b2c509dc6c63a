"""The Method of Equal Shares (MES), with Add1 and greedy completion.

Definition (Peters, Pierczyński and Skowron, "Proportional Participatory Budgeting with Additive
Utilities", NeurIPS 2021; equalshares.net; pabutools 1.2.3 ``rules/mes/mes_rule.py``):

- Every voter starts with the same share ``b`` of the budget: ``B / n`` where n counts every
  ballot, empty ones too.
- In each round, for each project p still affordable (its supporters hold at least its cost
  together), find the smallest ρ with ``sum_i min(b_i, ρ * u_i(p)) = cost(p)``; ``u_i(p)`` is
  the voter's satisfaction: the project's cost under cost satisfaction (approval and ordinal
  ballots), the points under cumulative ballots. Fund the project with the smallest ρ (ties by
  the tie-break) and charge each supporter ``min(b_i, ρ * u_i(p))``. Stop when nothing is
  affordable. Projects nobody supports are never considered.
- Add1 (``voter_budget_increment=1``): run the whole method again with per-voter budget
  ``B / n + k`` for k = 1, 2, ... and stop at the first outcome that is exhaustive over the
  supported projects; if an outcome costs more than B, return the previous one.
- Completion (pabutools ``completion_by_rule_combination``): if the Add1 outcome is not
  exhaustive over all projects, complete it with greedy.

How it is fast (our own design):

- Identical ballots form one weighted group. Voters whose ballots agree on the projects funded
  so far (and on their points for them) always hold the same budget, so budgets live on
  *classes* of voters; each project keeps a count of its supporters per class, and only the
  classes that paid for the last project change (mes_pricing.py prices and charges one step;
  mes_engine.py runs).
- Add1 does not need a run for every k. Within one run every budget, price and comparison is an
  affine function of the starting budget t. We record, for every decision, the affine
  comparison that made it (the funded project's exact price against a valid affine lower bound
  on every rival's price, each unaffordable project's total money against its cost, and which
  supporters pay in full). The outcome is provably the same for every t up to the first point
  where one of these comparisons could change, so the loop jumps straight to the first k past
  that point (mes_certify.py). The lower bound on a rival's price comes from any split of its
  supporters into "pay in full" P and "pay the price" R:
  ``ρ(t) >= (cost - sum_P b_i(t)) / sum_R u_i``. The stopping point (which is not monotone
  in k) is therefore reproduced exactly. This exact path is the fallback; see the next point.
- With the compiled float screen (mes_screen.py, mesfloat.py, _mesfloat.c), each Add1 step is
  run in doubles with error bounds, and stretches of steps are proved at once
  (`add1_screened`): a project's price is a convex function of the budgets, so along the
  starting budget the winner's price stays under a chord and each rival's over a tangent. The
  steps are taken in independent blocks, two at a time on two cores, read in order; the
  outcome returned is always priced exactly.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gmpy2 import mpq

from ballots.model import Instance, Profile
from decide.allocation import mesfloat
from decide.allocation.core import LEX, MesRound, Outcome, Payment, TieBreak, make_outcome
from decide.allocation.greedywelfare import greedy_fill
from decide.allocation.mes_engine import Engine, Verdict, exhaustive, verdict
from decide.allocation.mes_pricing import Round
from decide.allocation.mes_screen import Add1Result, add1_screened, single_run
from decide.allocation.mesfloat import ScreenSettings
from decide.allocation.prepare import Prepared, prepare, to_fraction

__all__ = ["ADD1_ONLY", "PLAIN", "STANDARD", "MesOptions", "add1_exact", "equal_shares"]


@dataclass(frozen=True)
class MesOptions:
    """Which parts of the rule run: Add1's budget increments, then greedy completion.

    The manifest records them as the JSON parameters ``completion`` and ``add1``; `add1`
    defaults to `completion` there (`from_parameters`).
    """

    add1: bool = True
    completion: bool = True

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> MesOptions:
        """Read the options from a manifest's JSON parameters; refuse unknown ones."""
        unknown = set(parameters) - {"completion", "add1"}
        if unknown:
            raise TypeError(f"equal_shares() got unexpected parameters: {sorted(unknown)}")
        completion = bool(parameters.get("completion", True))
        add1 = parameters.get("add1")
        return cls(add1=completion if add1 is None else bool(add1), completion=completion)


STANDARD = MesOptions()  # Add1, then greedy completion: what pabutools' Add1 gate checks
PLAIN = MesOptions(add1=False, completion=False)  # the definition alone, one run
ADD1_ONLY = MesOptions(add1=True, completion=False)  # Add1, no completion

_NOTES = (
    "Every voter starts with an equal share of the budget; a project is funded when its "
    "supporters can pay for it, each paying the same amount or all they have left."
)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one computation. The rule makes many small
    objects but no cycles, and while a large profile is in memory each collection scans all of
    it: about a tenth of the time on the largest files."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def equal_shares(
    instance: Instance,
    profile: Profile,
    *,
    tie_break: TieBreak = LEX,
    options: MesOptions = STANDARD,
    prepared: Prepared | None = None,
    screen: ScreenSettings | None = None,
) -> Outcome:
    """Fund projects by the Method of Equal Shares, with Add1 and greedy completion by default.

    `screen`: whether to use the compiled float screen, and on how many threads (the
    settings given to `mesfloat.configure` when None). The outcome never depends on it.
    """
    with _collector_paused():
        return _equal_shares(
            instance, profile, tie_break, options, prepared, screen or mesfloat.settings()
        )


def _equal_shares(
    instance: Instance,
    profile: Profile,
    tie_break: TieBreak,
    options: MesOptions,
    prepared: Prepared | None,
    screen: ScreenSettings,
) -> Outcome:
    prep = prepared or prepare(instance, profile)
    engine = Engine(prep, tie_break)
    notes = [_NOTES]
    if prep.cardinal:
        notes.append("With points ballots, supporters pay in proportion to their points.")
    else:
        notes.append("Ranked ballots count as support for every project they list.")
    details: dict[str, Any] = {
        "satisfaction": "points" if prep.cardinal else "cost",
        "add1": options.add1,
        "completion": options.completion,
    }
    chosen: list[int] = []
    rounds: list[Round] = []
    if prep.n_voters == 0:
        details["mes_budget_per_voter"] = "0"
    else:
        base = prep.budget / prep.n_voters
        # How many runs Add1 took is not recorded: it depends on whether the float screen is
        # built, and the details are hashed when a result is confirmed.
        k = 0
        if not options.add1:
            chosen, rounds = single_run(engine, base, screen.enabled)
        else:
            found = _add1(engine, base, screen)
            chosen, rounds, k = found.order, found.rounds, found.k
        details["mes_budget_per_voter"] = str(to_fraction(base + k))
        details["add1_increment"] = k
    mes_selected = list(engine.free) + chosen
    steps: list[Any] = [
        MesRound(
            project=prep.ids[s],
            cost=to_fraction(prep.costs[s]),
            rho=to_fraction(rho),
            payments=tuple(Payment(to_fraction(a), n) for a, n in paid),
        )
        for s, rho, paid in rounds
    ]
    final = mes_selected
    if options.completion and not exhaustive(prep, mes_selected, range(len(prep.ids))):
        final, gsteps = greedy_fill(prep, tie_break, mes_selected, phase="completion")
        steps.extend(gsteps)
    details["mes_selected"] = [prep.ids[i] for i in mes_selected]
    details["supporters"] = prep.supporters(final)
    return make_outcome(
        "equal-shares",
        instance,
        [prep.ids[i] for i in final],
        tie_break,
        steps=tuple(steps),
        notes=tuple(notes),
        details=details,
    )


def _add1(engine: Engine, base: mpq, screen: ScreenSettings) -> Add1Result:
    """Add1 on the float screen when it is there and agrees, else the exact certified loop."""
    if screen.enabled:
        found = add1_screened(engine, base, screen.threads)
        if found is not None:
            return found
    return add1_exact(engine, base)


def add1_exact(engine: Engine, base: mpq) -> Add1Result:
    """Follow pabutools' Add1 loop exactly, jumping over runs proved to give the same outcome."""
    prep = engine.prep
    free = engine.free
    prev: tuple[list[int], int] = ([], 0)
    k = 0
    runs = 0
    resume = None
    every = 4
    # Later rounds hold more classes, so their snapshots cost more; snapshot only as far as
    # recent runs have needed to go back.
    recent: list[int] = []
    while True:
        horizon = 2 * max(recent) + every if recent else 1 << 30
        run = engine.run(base + k, certify=True, resume=resume, every=every, horizon=horizon)
        runs += 1
        found = verdict(prep, free + run.selected, engine.candidates)
        if found is Verdict.OVER:
            if not prev[0] and k == 0:
                return Add1Result([], [], 0, runs)
            # The certificate proves the funded set; compute the rounds at that exact budget.
            again = engine.run(base + prev[1], certify=False)
            assert set(again.selected) == set(prev[0])
            return Add1Result(again.selected, again.rounds, prev[1], runs + 1)
        if found is Verdict.STOP:
            if not run.exact:
                run = engine.run(base + k, certify=False)
                runs += 1
            return Add1Result(run.selected, run.rounds, k, runs)
        assert run.limit is not None
        step = run.limit.next_step()
        if step is None:  # pragma: no cover - budgets grow until everything is affordable
            raise RuntimeError("equal shares: Add1 found no stopping point")
        # Every k' in [k, k + step) gives this same funded set; the one just before k + step
        # is therefore the "previous outcome" pabutools would fall back to.
        prev = (run.selected, k + step - 1)
        resume = run.resume_point(step)
        recent = [*recent[-9:], run.first_failing_round(step)]
        k += step

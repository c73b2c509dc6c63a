"""Equal shares' Add1 loop on the compiled float screen, and the exact pricing of its result.

Each budget B/n + k is first run in doubles (mesfloat.py, _mesfloat.c). A run whose decisions
were all clear by a wide margin is the exact run; any other is redone exactly. From a clear
run at one budget, a check at a larger one proves that every budget between funds the same
projects in the same order: in each round, the winner's price lies below a chord and every
rival's above a tangent, both straight lines in the starting budget, because prices are
convex functions of the budgets (mes_float_check in _mesfloat.c says why). The loop gallops
over such stretches, aiming each proof short of where the check guesses that a rival's price
line meets the winner's; only whole steps count, so a step of one is a plain run.

The budgets are taken in independent blocks (`blocks`); with two threads, two blocks go on at
once and their findings are read in order. The outcome returned is always priced exactly
(`priced`), and must agree with the screen; the caller falls back to the exact certified loop
(mes.py) when it does not.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import NamedTuple

from gmpy2 import mpq

from decide.allocation import mesfloat
from decide.allocation.mes_engine import Engine, Verdict, verdict
from decide.allocation.mes_pricing import ZERO, Round, round_of
from decide.allocation.mesfloat import CLEAR, TOO_CLOSE, FloatRun, FloatRunner
from decide.allocation.prepare import Prepared, to_fraction

__all__ = [
    "Add1Result",
    "Scan",
    "add1_screened",
    "blocks",
    "confirm_classes",
    "float_runner",
    "group_order",
    "priced",
    "single_run",
]


class Add1Result(NamedTuple):
    """Add1's outcome: the funded candidates in order, their exact rounds, the final k, and how
    many runs it took (not recorded in the outcome: it depends on the screen)."""

    order: list[int]
    rounds: list[Round]
    k: int
    runs: int


# The first blocks of Add1's budgets hold this many; tests set it smaller to cross many blocks.
FIRST_BLOCK = 32
# The least a proof tries to reach after a change of order (four times that at a block's start).
FIRST_STEP = 16


def single_run(engine: Engine, start: mpq, enabled: bool = True) -> tuple[list[int], list[Round]]:
    """Run MES once from `start`: screened in floats when possible, priced exactly."""
    runner = float_runner(engine) if enabled and engine.candidates else None
    if runner is not None:
        run = runner.run(float(start))
        if run.status != TOO_CLOSE:
            rounds = priced(engine, start, run.order, runner)
            if rounds is not None:
                return run.order, rounds
    exact = engine.run(start, certify=False)
    return exact.selected, exact.rounds


def priced(engine: Engine, start: mpq, order: list[int], runner: FloatRunner) -> list[Round] | None:
    """Return the exact rounds of the screened run funding `order` from `start`: from the
    screen's classes of voters when it can give them, else group by group. None if the order
    fails an exact check (the screen's margins forbid that; the caller then runs exactly)."""
    rounds = confirm_classes(engine, start, order, runner)
    if rounds is not None:
        return rounds
    try:
        return engine.replay(start, order)
    except ValueError:  # pragma: no cover - the screen's margins forbid this
        return None


def confirm_classes(
    engine: Engine, start: mpq, order: list[int], runner: FloatRunner
) -> list[Round] | None:
    """Return the rounds `Engine.replay` would, from the screen's classes of voters.

    Under cost satisfaction the compiled screen can say which supporters paid the same so far
    (a class) and whether each class pays all it has; then each round takes a few exact
    operations per class. Every such claim is checked in exact arithmetic; None when the
    screen cannot give the classes or a claim fails (use `Engine.replay` then).
    """
    prep = engine.prep
    if prep.cardinal:
        return None
    got = runner.classes(float(start), order)
    if got is None:
        return None
    starts, out = got
    cls_v: list[mpq] = [start]
    rounds: list[Round] = []
    for r, s in enumerate(order):
        entries = [out[i : i + 4] for i in range(starts[r], starts[r + 1], 4)]
        found = _confirm_round(prep, s, entries, cls_v, rounds[-1][1] if rounds else None)
        if found is None:
            return None
        rounds.append(found)
    return rounds


def _confirm_round(
    prep: Prepared, s: int, entries: list[list[int]], cls_v: list[mpq], last: mpq | None
) -> Round | None:
    """One round of `confirm_classes`: the screen says which classes pay all they have; the
    share q that the others pay then follows, and every class is checked against it: each
    class that pays all it has holds at most q, each other at least q. That makes q the exact
    water level (the money given at q is then the cost), with no sorting."""
    cost_s = prep.costs[s]
    rest = cost_s
    voters = 0
    for c, _c2, n, pays_all in entries:
        if pays_all:
            rest -= n * cls_v[c]
        else:
            voters += n
    if not voters or rest <= 0:
        return None
    rho = rest / voters / cost_s
    if last is not None and rho < last:
        return None  # prices never fall from round to round: not a real run
    share = rho * cost_s
    paid: dict[mpq, int] = {}
    for c, c2, n, pays_all in entries:
        v = cls_v[c]
        if v != share and (v < share) != bool(pays_all):
            return None  # the screen's class disagrees with exact arithmetic
        pay = v if v < share else share
        paid[pay] = paid.get(pay, 0) + n
        while len(cls_v) <= c2:
            cls_v.append(ZERO)
        cls_v[c2] = v - pay
    spent_out = prep.approvals[s] - sum(n for _c, _c2, n, _all in entries)
    if spent_out:
        paid[ZERO] = paid.get(ZERO, 0) + spent_out
    return round_of(s, rho, paid)


def float_runner(engine: Engine) -> FloatRunner | None:
    """Return the compiled float screen loaded with this instance, or None without it."""
    if not mesfloat.available():
        return None
    prep = engine.prep
    candidates = engine.candidates
    ranked = sorted(candidates, key=engine.tie_key.__getitem__)
    rank = {p: r for r, p in enumerate(ranked)}
    # The screen numbers voter groups afresh, so that the groups of one project's supporters lie
    # close together in memory: its passes over budgets are bound by memory, not arithmetic.
    new = group_order(prep)
    mult = [0] * len(new)
    for g, m in enumerate(prep.mult):
        mult[new[g]] = m
    groups: list[list[int]] = []
    sats: list[list[float]] = []
    for p in candidates:
        if prep.cardinal:
            pairs = sorted((new[g], float(u)) for g, u in engine.sup[p])
            groups.append([g for g, _u in pairs])
            sats.append([u for _g, u in pairs])
        else:
            groups.append(sorted(new[g] for g in engine.sup_groups[p]))
    return FloatRunner(
        mult,
        candidates,
        [float(prep.costs[p]) for p in candidates],
        groups,
        sats if prep.cardinal else None,
        [rank[p] for p in candidates],
        _exact_costs(engine) if prep.cardinal else None,
    )


def _exact_costs(engine: Engine) -> list[tuple[int, int]] | None:
    """Candidates' costs exactly, when small enough and every satisfaction is whole: pure
    prices are then compared exactly in C (for exact ties of equal prices)."""
    costs = [to_fraction(engine.prep.costs[p]) for p in engine.candidates]
    whole = all(
        to_fraction(u).denominator == 1 for p in engine.candidates for _g, u in engine.sup[p]
    )
    if whole and all(c.numerator < 1 << 40 and c.denominator < 1 << 40 for c in costs):
        return [(c.numerator, c.denominator) for c in costs]
    return None


def group_order(prep: Prepared) -> list[int]:
    """A new number for each voter group: groups sorted by the projects on their ballots, the
    most supported project first. Groups that share popular projects then sit side by side, and
    a pass over a project's supporters reads memory nearly in order (on Budapest 2024 this
    made the screen's runs and checks about 40% faster)."""
    by_support = sorted(range(len(prep.ids)), key=lambda i: (-prep.approvals[i], i))
    place = [0] * len(prep.ids)
    for r, i in enumerate(by_support):
        place[i] = r
    keys = [sorted(place[i] for i, _pts in ballot) for ballot in prep.groups]
    new = [0] * len(keys)
    for n, g in enumerate(sorted(range(len(keys)), key=keys.__getitem__)):
        new[g] = n
    return new


# What a block of budgets found: the verdict, at which k, the outcome there, and the outcome
# one step before (when that step lies in the same block).
Finding = tuple[Verdict, int, list[int], list[int] | None]


def add1_screened(engine: Engine, base: mpq, threads: int = 1) -> Add1Result | None:
    """Follow pabutools' Add1 loop with the compiled float screen; None without it (or when
    the exact pricing disagrees with the screen: the caller then runs the exact loop).

    With `threads` above one, two blocks of budgets go on at once (see `Scan`)."""
    runner = float_runner(engine)
    if runner is None:
        return None
    scan = Scan(engine, base, runner)
    prev: tuple[list[int], int] | None = None  # the outcome just before the block
    workers = mesfloat.workers(threads)
    budgets = blocks()

    def start() -> Future[Finding]:
        if workers is not None:
            return workers.submit(scan.block, *next(budgets))
        done: Future[Finding] = Future()
        done.set_result(scan.block(*next(budgets)))
        return done

    try:
        # Two blocks in flight with two threads; one at a time without them.
        pending = [start() for _ in range(1 if workers is None else 2)]
        while True:
            found = pending.pop(0).result()
            if found[0] is not Verdict.GO_ON:
                break
            prev = (found[2], found[1])
            pending.append(start())
    finally:
        scan.cancelled = True  # a block still under way stops at its next run
    kind, k, order, before = found
    if kind is Verdict.OVER:
        if before is not None:
            prev = (before, k - 1)
        if prev is None:
            return Add1Result([], [], 0, scan.runs)
        order, k = prev
    rounds = priced(engine, base + k, order, runner)
    if rounds is None:  # pragma: no cover - the screen's margins forbid this
        return None
    return Add1Result(order, rounds, k, scan.runs + 1)


def blocks() -> Iterator[tuple[int, int]]:
    """Blocks of budgets B/n + k for Add1: each a quarter of all the budgets before it, and at
    least FIRST_BLOCK (so the first five hold 32 each). Small first, as many instances stop
    early; ever larger later, as a block starts with a full run and the loop's proofs cannot
    reach past its end (some instances stop only after millions of steps); never more than a
    quarter, so that the block where Add1 stops, followed alone, is a small part of the
    whole."""
    lo = 0
    while True:
        size = max(FIRST_BLOCK, lo // 4)
        yield lo, lo + size
        lo += size


class Cancelled(Exception):
    """A block of Add1's budgets whose finding is no longer wanted."""


class Scan:
    """Add1's budgets B/n + k, one block of k at a time (blocks are independent)."""

    def __init__(self, engine: Engine, base: mpq, runner: FloatRunner) -> None:
        self.engine = engine
        self.base = base
        self.runner = runner
        self.runs = 0
        self.cancelled = False
        self._verdicts: dict[tuple[int, ...], Verdict] = {}
        self._exact = threading.Lock()  # exact runs fill the engine's caches as they go

    def verdict(self, order: list[int]) -> Verdict:
        """What Add1 does after the outcome funding `order` (remembered per order)."""
        key = tuple(order)
        found = self._verdicts.get(key)
        if found is None:
            engine = self.engine
            found = verdict(engine.prep, engine.free + order, engine.candidates)
            self._verdicts[key] = found
        return found

    def exact(self, k: int) -> list[int]:
        """The outcome at budget B/n + k in exact arithmetic (a screened run was too close).
        A cancelled block stops here rather than start an exact run (they can take seconds)."""
        if self.cancelled:
            raise Cancelled
        self.runs += 1
        with self._exact:
            return self.engine.run(self.base + k, certify=False).selected

    def block(self, lo: int, hi: int) -> Finding:
        """See `_block`; a block cancelled during an exact run returns GO_ON (never read)."""
        try:
            return self._block(lo, hi)
        except Cancelled:
            return Verdict.GO_ON, lo, [], None

    def _run_at(self, k: int) -> tuple[FloatRun | None, list[int]]:
        """The screened run at B/n + k (None when too close) and its outcome, exact if need be."""
        self.runs += 1
        cur = self.runner.run(float(self.base + k))
        if cur.status == TOO_CLOSE:
            return None, self.exact(k)
        return cur, cur.order

    def _block(self, lo: int, hi: int) -> Finding:
        """Follow Add1 over k = lo .. hi - 1. Returns (STOP or OVER, k, the outcome at k, the
        outcome at k - 1 if k > lo else None) at the first k whose outcome ends the loop, else
        (GO_ON, hi - 1, the outcome there, None). A cancelled block returns GO_ON early; its
        finding is never read."""
        k = lo
        cur, order = self._run_at(k)
        before: list[int] | None = None
        step = 4 * FIRST_STEP  # how far the next proof tries to reach
        reached = FIRST_STEP  # the length of the last proof that held
        missed: FloatRun | None = None  # the last check from `cur` that failed
        # Looked up once: finding an Enum's member takes a slow path (EnumType.__getattr__), a
        # fifth of a microsecond, which small instances feel at every step of this loop.
        go_on = Verdict.GO_ON
        runner, base = self.runner, self.base
        while True:
            found = self.verdict(order)
            if found is not go_on:
                return found, k, order, before
            if k == hi - 1 or self.cancelled:
                return go_on, k, order, None
            before = order
            step = max(1, min(step, hi - 1 - k))
            if cur is None or step == 1:
                # Only whole steps count: the run one step on is the outcome there, proof or not.
                k += 1
                cur, order = self._run_at(k)
                missed = None
                step = max(reached, FIRST_STEP)
                continue
            self.runs += 1
            ahead = runner.check(float(base + k + step), cur, missed)
            missed = None
            # The check's guess at where the order may change, as steps from k (FloatRun.reach).
            room = ahead.reach - cur.start
            if ahead.status == CLEAR:  # every budget up to k + step gives this same run
                k += step
                cur = ahead
                reached = step
                step = _next_reach(step, room - step)
                continue
            missed = ahead  # what it proved still holds for a shorter try from the same run
            # Try just short of where the proof broke down; without a guess, a quarter as far.
            step = max(1, int(room)) if 0 < room < step else max(1, step // 4)


def _next_reach(step: int, room: float) -> int:
    """How far to try after a proof of `step` held: four times as far while no rival is in
    sight, but not past where a rival's price line meets the winner's (`room` steps on; no
    guess: infinity)."""
    if not room < 8 * step:
        return step * 4
    if not room < 2 * step:
        return step * 2
    return max(1, int(room))

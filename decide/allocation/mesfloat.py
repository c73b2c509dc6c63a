"""A double-precision MES run in C, used by Add1 to screen budgets quickly (see mes.py).

`make install` compiles ``_mesfloat.c`` into ``_mesfloat.so`` beside this file (gcc, no Python
headers needed: it is loaded with ctypes). Without it, `available()` is False and Add1 uses
its exact certificates alone, which gives the same outcomes, only slower.

A float run is trusted only when the C code reports that every decision in it was clear: the
values compared differ by more than the bounds on their rounding errors, which the C code carries
along with every budget and price, and by at least a relative `TOLERANCE`. Such decisions are
the exact ones. A run with any decision closer than that is redone exactly by the caller.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from decide.allocation.mesfloat_abi import (
    LIBRARY,
    VERSION,
    MesHints,
    MesInstance,
    MesPrefix,
    MesRun,
    load,
)

__all__ = [
    "ABANDONED",
    "CLEAR",
    "LIBRARY",
    "NOT_PROVED",
    "TOLERANCE",
    "TOO_CLOSE",
    "VERSION",
    "FloatRun",
    "FloatRunner",
    "ScreenSettings",
    "available",
    "configure",
    "settings",
    "workers",
]

TOLERANCE = 1e-9

_lib: ctypes.CDLL | None = None
_loaded = False


def _library() -> ctypes.CDLL | None:
    """The compiled library, loaded once (None when absent or stale)."""
    global _lib, _loaded
    if not _loaded:
        _loaded = True
        _lib = load()
    return _lib


@dataclass(frozen=True)
class ScreenSettings:
    """Whether equal shares uses the float screen, and on how many threads (one or two).

    The edges (the app's configuration, the CLI) read these from the environment
    (DECIDE_NO_FLOAT_SCREEN, DECIDE_SCREEN_THREADS) and pass them in with `configure`; this
    package reads no environment variable.
    """

    enabled: bool = True
    threads: int = 2 if (os.cpu_count() or 1) > 1 else 1


_settings = ScreenSettings()


def configure(settings: ScreenSettings) -> None:
    """Set the screen settings used when a caller of equal shares passes none."""
    global _settings
    _settings = settings


def settings() -> ScreenSettings:
    """Return the screen settings used when a caller of equal shares passes none."""
    return _settings


_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def workers(threads: int) -> ThreadPoolExecutor | None:
    """Two threads for screened runs that can go on at once (Add1's blocks of budgets), or None
    when `threads` is one. The C code keeps no shared state, and ctypes lets go of the
    interpreter lock during each call, so two runs really go on in parallel. A process forked
    after the threads started (a web server's workers) gets threads of its own: the parent's
    do not exist in the child."""
    global _pool, _pool_pid
    if threads <= 1:
        return None
    if _pool is not None and _pool_pid != os.getpid():
        _pool = None
    if _pool is None:
        _pool_pid = os.getpid()
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mes-screen")
    return _pool


def available() -> bool:
    """Return whether the compiled screen is present."""
    return _library() is not None


class FloatRunner:
    """The instance as C arrays, ready for repeated runs at different starting budgets."""

    def __init__(
        self,
        mult: list[int],
        projects: list[int],
        costs: list[float],
        groups: list[list[int]],
        sats: list[list[float]] | None,
        ranks: list[int],
        exact_costs: list[tuple[int, int]] | None = None,
    ) -> None:
        """Load one instance: `groups[j]` lists the voter groups supporting ``projects[j]``,
        `sats[j]` their satisfaction (None for cost satisfaction), `ranks[j]` the project's
        place in the tie-break order (lower wins). With cardinal ballots, `exact_costs[j]` may
        give ``projects[j]``'s cost exactly as (numerator, denominator), each below 2**40, when
        every satisfaction is a whole number: pure prices are then compared exactly (ties of
        equal prices are common there, e.g. two projects of the same cost with the same
        supporters). Check `available()` first.
        """
        lib = _library()
        if lib is None:
            raise RuntimeError("the float screen is not built: run `make install`")
        self._lib = lib
        self.projects = projects
        self.n_groups = len(mult)
        indptr = array("i", [0])
        total = 0
        for row in groups:
            total += len(row)
            indptr.append(total)
        grp = array("i", chain.from_iterable(groups))
        if sats is None:  # cost satisfaction: the C code reads each project's cost instead
            u = inv_u = array("d")
        else:
            u = array("d", chain.from_iterable(sats))
            inv_u = array("d", (1.0 / x for x in u))
        # The arrays the structure points into: kept alive as long as the runner. Each is
        # viewed as a ctypes array (no copy), which a pointer field of the structure takes as
        # it is: building the structure this way is quick, and small instances feel it.
        self._keep: list[Any] = [
            _view(array("d", mult) if mult else array("d", [0.0])),
            _view(array("d", costs) if costs else array("d", [0.0])),
            _view(indptr),
            _view(grp if len(grp) else array("i", [0])),
            _view(u if len(u) else array("d", [0.0])),
            _view(inv_u if len(inv_u) else array("d", [0.0])),
            _view(array("i", ranks) if ranks else array("i", [0])),
            (ctypes.c_double * max(1, 3 * len(projects)))(),
            # Which projects share a supporter: a price stays exact until one of these is funded.
            (ctypes.c_ubyte * max(1, len(projects) ** 2))(),
        ]
        m, c, ip, g, uu, iu, r, sm, nb = self._keep
        num = den = None
        if exact_costs is not None and sats is not None:
            num = (ctypes.c_longlong * max(1, len(projects)))(*(n for n, _d in exact_costs))
            den = (ctypes.c_longlong * max(1, len(projects)))(*(d for _n, d in exact_costs))
        self.instance = MesInstance(
            n_groups=len(mult),
            mult=m,
            n_projects=len(projects),
            cost=c,
            indptr=ip,
            grp=g,
            u=uu if sats is not None else None,
            inv_u=iu if sats is not None else None,
            rank=r,
            summary=sm,
            cost_sat=1 if sats is None else 0,
            nb=nb,
            num=num,
            den=den,
        )
        # Per project: supporting voters, total and largest satisfaction, for the first round's
        # prices (start_prices in the C file).
        lib.mes_float_summary(ctypes.byref(self.instance))
        self._prefixes: dict[tuple[int, ...], tuple[int, Any, Any]] = {}
        self._prefix_lock = threading.Lock()
        self._run_prefix: MesPrefix | None = None
        self._run_prefix_start = math.inf
        if lib.mes_float_neighbours(ctypes.byref(self.instance)) != 0:  # pragma: no cover
            raise MemoryError("equal shares: the float screen ran out of memory")

    def run(self, start: float, check: FloatRun | None = None) -> FloatRun:
        """Run MES from per-voter budget `start`.

        With `check` (a clear run at a smaller budget), the result's status is CLEAR only if
        every budget from check's to `start` is proved to give that same run.
        """
        out = self._outputs()  # per call: runs may go on in two threads at once
        prefix = _NO_PREFIX
        known = self._run_prefix
        if check is None and known is not None and start >= self._run_prefix_start:
            prefix = known
        status = self._lib.mes_float_run(
            ctypes.byref(self.instance),
            start,
            TOLERANCE,
            ctypes.byref(out[0]),
            ctypes.byref(_run_in(check)),
            ctypes.byref(prefix),
        )
        projects = self.projects
        return self._result(start, status, [projects[i] for i in out[1][: out[0].len]], out)

    def check(self, start: float, anchor: FloatRun, hints: FloatRun | None = None) -> FloatRun:
        """Try to prove that every budget from `anchor`'s to `start` gives `anchor`'s run.

        Stronger than `run(start, anchor)`, and cheaper: it follows the anchor's order instead
        of searching, and bounds the winner's price by a chord and each rival's by a tangent
        between the two budgets (mes_float_check in the C file). CLEAR means proved (and the
        result describes the run at `start`); otherwise the result is cut short (ABANDONED) or
        a decision was TOO_CLOSE. Either way the result's `reach` guesses where the order may
        change. `hints`: an earlier check from the same anchor to a larger budget; the bounds it
        proved on prices there hold here too, and spare some work.
        """
        out = self._outputs()
        reach = ctypes.c_double(0.0)
        rounds, paid, paid_err = self._prefix(anchor)
        prefix = MesPrefix(n_rounds=rounds, paid=paid, paid_err=paid_err) if rounds else _NO_PREFIX
        lbs = (ctypes.c_double * max(1, len(anchor.order) * len(self.projects)))()
        lb_rounds = ctypes.c_int(0)
        hint_rounds, hint_lbs = 0, None
        if hints is not None and hints.start >= start:
            hint_rounds, hint_lbs = hints._lb_rounds, hints._lbs
        status = self._lib.mes_float_check(
            ctypes.byref(self.instance),
            anchor.start,
            start,
            TOLERANCE,
            ctypes.byref(out[0]),
            ctypes.byref(_run_in(anchor)),
            ctypes.byref(reach),
            ctypes.byref(prefix),
            ctypes.byref(
                MesHints(
                    rounds=hint_rounds,
                    lb=hint_lbs,
                    lb_out=lbs,
                    lb_rounds=ctypes.pointer(lb_rounds),
                )
            ),
        )
        result = self._result(start, status, list(anchor.order) if status == CLEAR else [], out)
        result.reach = reach.value
        result._lbs, result._lb_rounds = lbs, lb_rounds.value
        return result

    def _prefix(self, anchor: FloatRun) -> tuple[int, Any, Any]:
        """The anchor's leading pure rounds (nobody paid all they had) and what each voter group
        has paid after each of them, which is the same at every starting budget
        (mes_float_prefix in the C file); made once per sequence of winners and kept."""
        rounds = 0
        while rounds < len(anchor.order) and anchor._voters[rounds] >= 0.0:
            rounds += 1
        if rounds == 0:
            return 0, None, None
        key = tuple(anchor.order[:rounds])
        with self._prefix_lock:  # checks may go on in two threads at once
            found = self._prefixes.get(key)
        if found is None:
            n = max(1, self.n_groups)
            paid = (ctypes.c_double * (n * rounds))()
            paid_err = (ctypes.c_double * (n * rounds))()
            status = self._lib.mes_float_prefix(
                ctypes.byref(self.instance), rounds, ctypes.byref(_run_in(anchor)), paid, paid_err
            )
            if status != 0:  # pragma: no cover - out of memory
                raise MemoryError("equal shares: the float screen ran out of memory")
            found = (rounds, paid, paid_err)
            with self._prefix_lock:
                if len(self._prefixes) >= 8:  # a few sequences are enough: Add1 moves slowly
                    self._prefixes.pop(next(iter(self._prefixes)))
                self._prefixes[key] = found
            # Runs from this budget on may start from it too: its rounds stay pure there.
            self._run_prefix = MesPrefix(
                n_rounds=rounds,
                seq=anchor._seq,
                price=anchor._prices,
                err=anchor._errors,
                weight=anchor._voters,
                paid=paid,
                paid_err=paid_err,
            )
            self._run_prefix_start = anchor.start
        return found

    def classes(self, start: float, order: list[int]) -> tuple[list[int], list[int]] | None:
        """Return the voter classes of the run from `start` that funds `order` (see
        mes_float_classes in the C file): per round, entries (class, new class, voters, pays
        all), and where each round's entries start. None if a payment was too close to call or
        the order cannot be followed (cost satisfaction only: use the exact replay then)."""
        local = {p: i for i, p in enumerate(self.projects)}
        n = len(order)
        seq = (ctypes.c_int * max(1, n))(*(local[p] for p in order))
        starts = (ctypes.c_int * (n + 1))()
        room = 4 * (len(self._keep[3]) + 1)
        out = (ctypes.c_int * room)()
        status = self._lib.mes_float_classes(
            ctypes.byref(self.instance), start, TOLERANCE, n, seq, starts, out, room
        )
        if status < 0:  # pragma: no cover - out of memory
            raise MemoryError("equal shares: the float screen ran out of memory")
        if status != 0:
            return None
        return list(starts), list(out[: starts[n]])

    def _outputs(self) -> tuple[MesRun, Any, Any, Any, Any]:
        """A fresh run for the C code to write, and its arrays: order, winners' prices, their
        error bounds, pure voter counts."""
        n = max(1, len(self.projects))
        d = ctypes.c_double * n
        seq, prices, errors, voters = (ctypes.c_int * n)(), d(), d(), d()
        run = MesRun(len=0, seq=seq, price=prices, err=errors, voters=voters)
        return run, seq, prices, errors, voters

    @staticmethod
    def _result(
        start: float, status: int, order: list[int], out: tuple[MesRun, Any, Any, Any, Any]
    ) -> FloatRun:
        if status < 0:  # pragma: no cover - out of memory
            raise MemoryError("equal shares: the float screen ran out of memory")
        run, seq, prices, errors, voters = out
        return FloatRun(start, status, order, seq, prices, errors, voters, run)


CLEAR, TOO_CLOSE, NOT_PROVED, ABANDONED = 0, 1, 2, 3


def _view(data: array[Any]) -> Any:
    """A ctypes array sharing an array's buffer (it keeps the array alive)."""
    kind = ctypes.c_double if data.typecode == "d" else ctypes.c_int
    return (kind * len(data)).from_buffer(data)


# No run to follow, no pure prefix: the C code only reads these, so one of each serves every
# call (in every thread).
_NO_RUN = MesRun(len=-1)
_NO_PREFIX = MesPrefix(n_rounds=0)


def _run_in(run: FloatRun | None) -> MesRun:
    """A run for the C code to follow or check against (len -1: none): the structure the call
    that made it wrote into, as long as its `order` (none of it unless CLEAR or NOT_PROVED)."""
    if run is None:
        return _NO_RUN
    found = run._run
    found.len = len(run.order)
    return found


@dataclass
class FloatRun:
    """One float run: its status and the funded projects in order (indices of the instance).

    `order` is right when status is CLEAR or NOT_PROVED (every decision was clear; only the
    interval check failed); with TOO_CLOSE the caller must redo the run exactly; with ABANDONED
    it is cut short.
    """

    start: float
    status: int
    order: list[int]
    _seq: Any = field(repr=False)
    _prices: Any = field(repr=False)
    _errors: Any = field(repr=False)
    _voters: Any = field(repr=False)
    # The run as the C code wrote it and reads it (its arrays are the four above).
    _run: MesRun = field(repr=False)
    # From `check` only, a guess for the caller (never needed for correctness): when proved,
    # the starting budget up to which the same proof might reach (infinity: no rival in
    # sight); when not, the budget near which it broke down (nan: no guess).
    reach: float = math.nan
    # From `check` only: lower bounds on prices proved in each round, for a later check from the
    # same anchor to a smaller budget (see `check`'s hints).
    _lbs: Any = field(default=None, repr=False)
    _lb_rounds: int = 0

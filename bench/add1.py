"""Where equal shares' Add1 loop spends its time on one pabulib file.

Usage::

    .venv/bin/python bench/add1.py [FILE.pb]    (default: Hungary_Budapest_2024, the slowest)

Follows the screened Add1 loop (decide/allocation/mes_screen.py, `add1_screened`) in one thread and
prints: the Add1 step where it stops; how many float runs and interval checks it made and the
seconds each kind took in all; how many checks proved their stretch; and the whole rule's wall
seconds with two threads and with one (best of three). Use it to see whether a change to the
float screen (decide/allocation/_mesfloat.c) or to the loop moves the counts or only the cost
of each call.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ballots import pabulib  # noqa: E402
from decide.allocation import LEX, equal_shares, mesfloat  # noqa: E402
from decide.allocation.mes_engine import Engine  # noqa: E402
from decide.allocation.mes_screen import add1_screened  # noqa: E402
from decide.allocation.prepare import prepare  # noqa: E402

DEFAULT = ROOT / ".." / "shared" / "pabulib" / "Hungary_Budapest_2024.pb"


def _best_of_three(pb: Any, threads: int) -> float:
    screen = mesfloat.ScreenSettings(threads=threads)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        equal_shares(pb.instance, pb.profile, screen=screen)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args()
    if not mesfloat.available():
        sys.exit("the float screen is not built: run `make install`")
    pb = pabulib.parse(args.file.read_text(encoding="utf-8"))
    prep = prepare(pb.instance, pb.profile)
    engine = Engine(prep, LEX)
    base = prep.budget / prep.n_voters
    calls = {"run": [0, 0.0], "check": [0, 0.0]}
    proved = 0
    real_run, real_check = mesfloat.FloatRunner.run, mesfloat.FloatRunner.check

    def run(self: mesfloat.FloatRunner, start: float, check: Any = None) -> Any:
        began = time.perf_counter()
        result = real_run(self, start, check)
        calls["run"][0] += 1
        calls["run"][1] += time.perf_counter() - began
        return result

    def check(self: mesfloat.FloatRunner, start: float, anchor: Any, hints: Any = None) -> Any:
        nonlocal proved
        began = time.perf_counter()
        result = real_check(self, start, anchor, hints)
        calls["check"][0] += 1
        calls["check"][1] += time.perf_counter() - began
        proved += result.status == mesfloat.CLEAR
        return result

    mesfloat.FloatRunner.run = run  # type: ignore[method-assign]
    mesfloat.FloatRunner.check = check  # type: ignore[method-assign]
    try:
        found = add1_screened(engine, base, threads=1)
    finally:
        mesfloat.FloatRunner.run = real_run  # type: ignore[method-assign]
        mesfloat.FloatRunner.check = real_check  # type: ignore[method-assign]
    assert found is not None
    print(f"file: {args.file.name} ({prep.n_voters} voters, {len(prep.ids)} projects)")
    print(f"Add1 stops at step k = {found[2]}")
    for kind, (n, seconds) in calls.items():
        each = 1000 * seconds / n if n else 0.0
        print(f"{kind}s: {n}, {seconds:.3f} s in all, {each:.2f} ms each")
    print(f"checks that proved their stretch: {proved} of {calls['check'][0]}")
    print(f"equal-shares, two threads: {_best_of_three(pb, 2):.3f} s (best of three)")
    print(f"equal-shares, one thread: {_best_of_three(pb, 1):.3f} s (best of three)")


if __name__ == "__main__":
    main()

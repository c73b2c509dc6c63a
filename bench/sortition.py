"""Our leximin beside the Sortition Foundation's maximin (`sortition-algorithms`, open solver).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/sortition.py [--limit SECONDS] [--only NAME]

Five pools: the two public examples of the citizensassemblies-replication repository (written
as fixtures in tests/sortition/data from issue 15's description) and three synthetic pools
with 5, 6 and 7 correlated features (bench/sortition_pools.py), panels of 100. Each method runs
in its own process with a time limit, one after the other (the machine has 2 cores). Printed:
the smallest selection probability each reaches, the seconds it took and the panels its
distribution uses; "yes" when ours is not below theirs (tolerance 1e-6); the machine's load
(1-minute average) when the row started and ended. Ours includes rounding to the 1,000-panel
lottery.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from sortition_pools import pool_csv, proportional_quotas, synthetic_pool  # noqa: E402

DATA = ROOT / "tests" / "sortition" / "data"
SYNTHETIC = {
    "synthetic_5f_2000": (2000, 5, 1),
    "synthetic_6f_1500": (1500, 6, 2),
    "synthetic_7f_1000": (1000, 7, 3),
}
NAMES = ["example_small_20", "example_large_200", *SYNTHETIC]
TARGET = {"example_large_200": 60.0, **{name: 120.0 for name in SYNTHETIC}}


def instance(name: str) -> tuple[str, str, int]:
    """Return (POOL.csv text, QUOTAS.csv text, panel size) of the named pool."""
    if name in SYNTHETIC:
        n, features, seed = SYNTHETIC[name]
        people = synthetic_pool(n, features, seed)
        return pool_csv(people), proportional_quotas(people, 100, 0.15), 100
    return (
        (DATA / f"{name}_pool.csv").read_text(),
        (DATA / f"{name}_quotas.csv").read_text(),
        int((DATA / f"{name}_size.txt").read_text()),
    )


def run_ours(name: str) -> dict[str, object]:
    """Run our leximin and the rounding to 1,000 panels; return the figures."""
    from decide.sortition import (
        parse_pool,
        parse_quotas,
        round_to_lottery,
        select_distribution,
        type_table,
    )

    pool_text, quota_text, size = instance(name)
    pool, quotas = parse_pool(pool_text), parse_quotas(quota_text)
    start = time.perf_counter()
    dist = select_distribution(pool, quotas, size, method="leximin")
    lottery = round_to_lottery(dist, 1000, pool_order=[p.id for p in pool.people])
    seconds = time.perf_counter() - start
    return {
        "min": dist.min_probability,
        "seconds": seconds,
        "people": len(pool.people),
        "types": len(type_table(pool, quotas).members),
        "columns": dist.columns,
        "panels": len(dist.panels),
        "within": lottery.within_one_over_m,
    }


def run_theirs(name: str) -> dict[str, object]:
    """Run sortition-algorithms' maximin (HiGHS backend); return the figures."""
    import csv
    import io

    from sortition_algorithms.committee_generation.maximin import find_distribution_maximin
    from sortition_algorithms.features import read_in_features
    from sortition_algorithms.people import read_in_people
    from sortition_algorithms.settings import Settings

    pool_text, quota_text, size = instance(name)
    q_rows = list(csv.DictReader(io.StringIO(quota_text)))
    features, _, _ = read_in_features(list(q_rows[0]), q_rows, size)
    p_rows = list(csv.DictReader(io.StringIO(pool_text)))
    settings = Settings(id_column="id", columns_to_keep=[])
    people, _ = read_in_people(list(p_rows[0]), p_rows, features, settings)
    start = time.perf_counter()
    committees, probabilities, _ = find_distribution_maximin(
        features, people, size, [], solver_backend="highspy"
    )
    seconds = time.perf_counter() - start
    chance = {row["id"]: 0.0 for row in p_rows}
    for committee, p in zip(committees, probabilities):
        for pid in committee:
            chance[pid] += p
    return {"min": min(chance.values()), "seconds": seconds, "panels": len(committees)}


def child(which: str, name: str, limit: float) -> dict[str, object]:
    """Run one method on one pool in a fresh process, within `limit` seconds."""
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", which, name],
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {limit:.0f} s"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:60]}
    return json.loads(lines[-1])


def comparison(ours: dict[str, object], theirs: dict[str, object], size: int) -> str:
    """Say whether our smallest probability is at least theirs (tolerance 1e-6).

    Without their figure, ours may still settle it: nobody's chance can exceed the average,
    panel size / pool size, for someone is always at or below it; reaching it, ours is at least
    any maximin's.
    """
    if "min" not in ours:
        return "?"
    mine = float(ours["min"])  # type: ignore[arg-type]
    if "min" in theirs:
        return "yes" if mine >= float(theirs["min"]) - 1e-6 else "NO"  # type: ignore[arg-type]
    if mine >= size / int(ours["people"]) - 1e-9:  # type: ignore[call-overload]
        return "yes: ours = panel/pool, the most possible"
    return "?"


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--only", choices=NAMES, action="append")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        which, name = args.child
        result = run_ours(name) if which == "ours" else run_theirs(name)
        print(json.dumps(result))
        return
    header = (
        "| pool | people | types | panel | our leximin: min | s | panels | "
        "their maximin: min | s | panels | min ≥ theirs | time target | load |"
    )
    print(header)
    print("|" + "---|" * 13)
    for name in args.only or NAMES:
        load = os.getloadavg()[0]
        ours = child("ours", name, args.limit)
        theirs = child("theirs", name, args.limit)
        size = instance(name)[2]

        def fig(r: dict[str, object], key: str, fmt: str) -> str:
            return format(r[key], fmt) if key in r else str(r.get("error", "?"))

        ok = comparison(ours, theirs, size)
        target = TARGET.get(name)
        if target is None:
            met = "—"
        elif "seconds" in ours:
            met = f"< {target:.0f} s: " + ("yes" if float(ours["seconds"]) < target else "NO")  # type: ignore[arg-type]
        else:
            met = f"< {target:.0f} s: NO"
        print(
            f"| {name} | {ours.get('people', '?')} | {ours.get('types', '?')} | {size} | "
            f"{fig(ours, 'min', '.6f')} | {fig(ours, 'seconds', '.2f')} | "
            f"{ours.get('panels', '')} | "
            f"{fig(theirs, 'min', '.6f')} | {fig(theirs, 'seconds', '.1f')} | "
            f"{theirs.get('panels', '')} | {ok} | {met} | "
            f"{load:.2f}–{os.getloadavg()[0]:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

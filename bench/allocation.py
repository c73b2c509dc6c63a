"""Time our allocation rules on the pabulib files and compare with pabutools 1.2.3.

Usage::

    .venv/bin/python bench/allocation.py [--rules greedy,equal-shares,...] [FILE.pb ...]
    .venv/bin/python bench/allocation.py --against /path/to/other/checkout [--repeats 5] ...

Prints a Markdown table: instance, voters, projects, rule, our seconds, pabutools seconds (from
tests/data/pabutools_reference.json, written by bench/pabutools_reference.py), ratio, and
whether our result agrees with pabutools' (same selected set; same optimal welfare for
utilitarian). Parsing is not timed; each rule is timed from the Instance and Profile (wall
time, best of three runs when a run takes under a second). The CPU column (this process and
the CBC solver it starts) is the steadier figure on a shared machine.

With ``--against``, the same rules run on the same files in two checkouts side by side, each in
a worker process of its own (this checkout's and the other's code, this interpreter): every
measurement alternates between the two, each figure is the best of ``--repeats`` runs, and the
table gives both in milliseconds, their ratio (of the unrounded figures), and whether the
outcomes are the same (selected set, and for equal shares Add1's k). A rule that runs in under
20 ms is run again within each measurement, as often as fits in about 20 ms (at most 200
times), and the measurement is its best run: single runs of a millisecond or less on a shared
machine vary by more than the differences worth seeing. Build the other checkout's float
screen first (`make install` there, or ``cc ... _mesfloat.c`` as the Makefile does).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ballots import pabulib  # noqa: E402
from decide.allocation import PLAIN, RULES  # noqa: E402

PABULIB = ROOT / ".." / "shared" / "pabulib"
REFERENCE = ROOT / "tests" / "data" / "pabutools_reference.json"
BENCH_RULES = ("greedy", "equal-shares", "mes", "phragmen", "utilitarian")


def cpu_seconds() -> float:
    """Return CPU time used by this process and its finished children (CBC runs as one)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(rule: str, instance, profile):  # type: ignore[no-untyped-def]
    """Run one rule by its bench name; ``mes`` is equal-shares without completion."""
    if rule == "mes":
        return RULES["equal-shares"](instance, profile, options=PLAIN)
    return RULES[rule](instance, profile)


WORKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from ballots import pabulib
import decide.allocation as allocation
print(json.dumps({"root": allocation.__file__}), flush=True)
plain = getattr(allocation, "PLAIN", None)
cache = {}
for line in sys.stdin:
    path, rule = json.loads(line)
    if path not in cache:
        cache = {path: pabulib.parse(open(path, encoding="utf-8").read())}
    pb = cache[path]
    if rule == "mes":
        fn = allocation.RULES["equal-shares"]
        kw = {"options": plain} if plain is not None else {"completion": False}
    else:
        fn, kw = allocation.RULES[rule], {}
    start = time.perf_counter()
    outcome = fn(pb.instance, pb.profile, **kw)
    seconds = time.perf_counter() - start
    # A quick rule runs again, as often as fits in about QUICK seconds (at most 200 times): its
    # best run is the one least disturbed by the machine's other processes.
    for _ in range(min(200, int(QUICK / seconds)) if seconds > 0 else 200):
        start = time.perf_counter()
        fn(pb.instance, pb.profile, **kw)
        seconds = min(seconds, time.perf_counter() - start)
    same = [sorted(outcome.selected), outcome.details.get("add1_increment")]
    print(json.dumps({"seconds": seconds, "outcome": same}), flush=True)
"""
# How long a worker keeps timing a quick rule for one figure (see WORKER).
QUICK = 0.02


class Worker:
    """A process that runs rules with one checkout's code, one request per line."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"QUICK = {QUICK!r}\n{WORKER}", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.root = json.loads(self.proc.stdout.readline())["root"]

    def run(self, path: Path, rule: str) -> tuple[float, list[object]]:
        """Time one rule on one file; return the seconds and what identifies the outcome."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([str(path), rule]) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        return answer["seconds"], answer["outcome"]

    def close(self) -> None:
        """End the worker."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def compare(files: list[Path], rules: list[str], other: Path, repeats: int) -> int:
    """Print this checkout's figures and another's side by side; 1 if an outcome differs."""
    ours, theirs = Worker(ROOT), Worker(other)
    print(f"ours: {ours.root}\nother: {theirs.root}\n")
    print("| instance | rule | ours (ms) | other (ms) | ours / other | same outcome |")
    print("|---|---|---:|---:|---:|---|")
    differ = 0
    try:
        for path in files:
            for rule in rules:
                best_ours = best_theirs = float("inf")
                found: dict[str, list[object]] = {}
                for _ in range(repeats):
                    # Alternate, so that both feel the same load on a shared machine.
                    seconds, found["ours"] = ours.run(path, rule)
                    best_ours = min(best_ours, seconds)
                    seconds, found["theirs"] = theirs.run(path, rule)
                    best_theirs = min(best_theirs, seconds)
                same = found["ours"] == found["theirs"]
                differ += not same
                ratio = best_ours / best_theirs if best_theirs > 0 else float("nan")
                print(
                    f"| {path.stem} | {rule} | {1000 * best_ours:.2f} | {1000 * best_theirs:.2f} | "
                    f"{ratio:.2f} | {'yes' if same else 'NO'} |",
                    flush=True,
                )
    finally:
        ours.close()
        theirs.close()
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rules", default=",".join(BENCH_RULES))
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (--against)")
    args = parser.parse_args(argv)
    files = args.files or sorted(PABULIB.glob("*.pb"), key=lambda p: p.stat().st_size)
    rules = [r for r in args.rules.split(",") if r]
    if args.against is not None:
        return compare([f.resolve() for f in files], rules, args.against.resolve(), args.repeats)
    reference = json.loads(REFERENCE.read_text())["entries"] if REFERENCE.exists() else {}
    print(
        "| instance | voters | projects | rule | ours (s) | ours, CPU (s) | pabutools (s) "
        "| ratio | ratio, CPU | agrees |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---|")
    for path in files:
        pb = pabulib.parse(path.read_text(encoding="utf-8"))
        ref = reference.get(path.stem, {}).get("rules", {})
        for rule in rules:
            # Wall time, best of three for quick rules: the machine is shared, and the best
            # run is the one least disturbed by other processes.
            ours = cpu = float("inf")
            for _ in range(3):
                start, start_cpu = time.perf_counter(), cpu_seconds()
                outcome = run(rule, pb.instance, pb.profile)
                ours = min(ours, time.perf_counter() - start)
                cpu = min(cpu, cpu_seconds() - start_cpu)
                if ours > 1:
                    break
            entry = ref.get(rule)
            if entry is None:
                theirs, ratio, ratio_cpu, agrees = "not yet", "", "", ""
            else:
                theirs = f"{entry['seconds']:.3f}"
                ratio = f"{entry['seconds'] / ours:.1f}x" if ours > 0 else ""
                ratio_cpu = f"{entry['seconds'] / cpu:.1f}x" if cpu > 0 else ""
                if rule == "utilitarian":
                    ok = outcome.details.get("welfare") == entry["welfare"]
                else:
                    ok = list(outcome.selected_sorted) == entry["selected"]
                agrees = "yes" if ok else "NO"
            print(
                f"| {path.stem} | {len(pb.profile.ballots)} | {len(pb.instance.projects)} | "
                f"{rule} | {ours:.3f} | {cpu:.3f} | {theirs} | {ratio} | {ratio_cpu} | {agrees} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

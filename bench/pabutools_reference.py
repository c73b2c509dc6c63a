"""Compute pabutools 1.2.3 reference outcomes for pabulib files and store them as JSON.

Usage::

    .venv/bin/python bench/pabutools_reference.py OUT.json FILE.pb [FILE.pb ...] [--rules r1,r2]

Rules (names as our command line spells them):

- ``greedy``: ``greedy_utilitarian_welfare``, cost satisfaction (additive cardinal satisfaction,
  i.e. points, for cumulative and scoring ballots);
- ``mes``: plain ``method_of_equal_shares``, cost satisfaction (points for cumulative);
- ``equal-shares``: ``completion_by_rule_combination`` of ``method_of_equal_shares`` with
  ``voter_budget_increment=1`` (Add1) and then ``greedy_utilitarian_welfare`` (the
  equalshares.net standard), same satisfactions as above;
- ``phragmen``: ``sequential_phragmen`` on the approval profile (ordinal and cumulative ballots
  read as approval of every listed project);
- ``utilitarian``: ``max_additive_utilitarian_welfare`` with cost satisfaction; the optimal
  welfare is what counts (the returned set depends on PYTHONHASHSEED).

The run is resumable: entries already in OUT.json are skipped, and the file is rewritten after
every entry. Entries are processed file by file in the order given, so pass the quick files
first (and run the slow ``equal-shares`` in a second invocation after the other rules).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ALL_RULES = ("greedy", "mes", "phragmen", "utilitarian", "equal-shares")


def to_fraction(x: Any) -> Fraction:
    """Convert an int, Fraction or gmpy2 mpq to a Fraction."""
    if isinstance(x, int):
        return Fraction(x)
    return Fraction(int(x.numerator), int(x.denominator))


def exact_decimal(x: Fraction) -> str:
    """Write a Fraction as an exact decimal string, or as n/d if it has no finite decimal form."""
    den = x.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{x.numerator}/{x.denominator}"
    digits = max(twos, fives)
    scaled = x * 10**digits
    assert scaled.denominator == 1
    n = scaled.numerator
    sign = "-" if n < 0 else ""
    n = abs(n)
    if digits == 0:
        return f"{sign}{n}"
    s = str(n).rjust(digits + 1, "0")
    return f"{sign}{s[:-digits]}.{s[-digits:]}"


def load(path: Path) -> dict[str, Any]:
    """Load the reference file, or an empty skeleton."""
    if path.exists():
        return json.loads(path.read_text())
    return {"pabutools_version": None, "entries": {}}


def save(path: Path, data: dict[str, Any]) -> None:
    """Write the reference file atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def run_rule(rule: str, instance: Any, profile: Any) -> dict[str, Any]:
    """Run one pabutools rule and return the JSON entry."""
    from pabutools.election import (
        AbstractApprovalProfile,
        AbstractCardinalProfile,
        Additive_Cardinal_Sat,
        ApprovalBallot,
        ApprovalProfile,
        Cost_Sat,
    )
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        max_additive_utilitarian_welfare,
        method_of_equal_shares,
        sequential_phragmen,
    )

    cardinal = isinstance(profile, AbstractCardinalProfile)
    sat = Additive_Cardinal_Sat if cardinal else Cost_Sat
    entry: dict[str, Any] = {}
    if rule == "phragmen" and not isinstance(profile, AbstractApprovalProfile):
        profile = ApprovalProfile([ApprovalBallot(set(b)) for b in profile], instance=instance)
    start = time.perf_counter()
    if rule == "greedy":
        result = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
    elif rule == "mes":
        result = method_of_equal_shares(instance, profile, sat_class=sat)
    elif rule == "equal-shares":
        result = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": sat}],
        )
    elif rule == "phragmen":
        result = sequential_phragmen(instance, profile)
    elif rule == "utilitarian":
        result = max_additive_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    else:
        raise ValueError(f"unknown rule {rule}")
    seconds = time.perf_counter() - start
    selected = sorted(str(p.name) for p in result)
    spent = sum((to_fraction(p.cost) for p in result), Fraction(0))
    entry["selected"] = selected
    entry["spent"] = exact_decimal(spent)
    entry["seconds"] = round(seconds, 3)
    entry["sat"] = "Cost_Sat" if rule == "utilitarian" or not cardinal else "Additive_Cardinal_Sat"
    if rule == "utilitarian":
        # Welfare with cost satisfaction: each voter counts the cost of every funded project
        # listed on their ballot, so the welfare is sum over funded projects of cost * supporters.
        supporters = {p: 0 for p in result}
        for ballot in profile:
            for p in set(ballot):
                if p in supporters:
                    supporters[p] += 1
        welfare = sum((to_fraction(p.cost) * n for p, n in supporters.items()), Fraction(0))
        entry["welfare"] = exact_decimal(welfare)
    return entry


def main(argv: list[str] | None = None) -> int:
    """Compute the missing reference entries."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rules", default=",".join(ALL_RULES))
    args = parser.parse_args(argv)
    rules = [r for r in args.rules.split(",") if r]
    for r in rules:
        if r not in ALL_RULES:
            parser.error(f"unknown rule {r!r}; choose from {', '.join(ALL_RULES)}")

    import pabutools
    from pabutools.election import parse_pabulib

    data = load(args.out)
    data["pabutools_version"] = getattr(pabutools, "__version__", "1.2.3")
    entries = data.setdefault("entries", {})
    cache: dict[Path, Any] = {}
    for path in args.files:
        for rule in rules:
            name = path.stem
            if rule in entries.get(name, {}).get("rules", {}):
                continue
            if path not in cache:
                cache.clear()
                cache[path] = parse_pabulib(str(path))
            instance, profile = cache[path]
            file_entry = entries.setdefault(name, {"rules": {}})
            file_entry["voters"] = profile.num_ballots()
            file_entry["projects"] = len(instance)
            file_entry["vote_type"] = instance.meta.get("vote_type", "")
            print(f"{name} {rule} ...", flush=True)
            entry = run_rule(rule, instance, profile)
            print(f"  {entry['seconds']} s, {len(entry['selected'])} selected", flush=True)
            file_entry["rules"][rule] = entry
            save(args.out, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

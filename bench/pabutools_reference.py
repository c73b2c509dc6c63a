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

Add1 samples (a partial cross-check where the full Add1 loop is out of reach)::

    .venv/bin/python bench/pabutools_reference.py OUT.json FILE.pb --add1-samples 0,1,5000

With ``--add1-samples`` only the samples are computed (``--rules`` is ignored). For each listed
increment k, plain ``method_of_equal_shares`` (no ``voter_budget_increment``; same
satisfaction as above) is run on the instance with ``budget_limit`` set to B + k*n (B the
file's budget, n the number of ballots), so every voter starts with (B + k*n)/n = B/n + k. That
is exactly the voters' starting budget at step k of pabutools' Add1 loop (read in pabutools
1.2.3, ``pabutools/rules/mes/mes_rule.py``): ``method_of_equal_shares`` passes
``frac(instance.budget_limit, profile.num_ballots())`` as the starting budget (line 732),
``method_of_equal_shares_scheme`` gives it to every ``MESVoter`` (lines 546-556), and after a
non-exhaustive feasible outcome adds ``voter_budget_increment`` to it (line 623, or 635 when
irresolute) and resets every voter's budget to it (lines 637-638) before the next run. The
budget limit itself enters a run only through ``is_feasible`` and ``is_exhaustive`` (lines
619-621), which the plain rule never calls (it returns at line 617-618): ``mes_inner_algo``
uses the instance only for the tie-breaking, which is lexicographic on names, and the cost and
points satisfactions do not read the budget limit. The limit is restored after every run.

Stored per k, under ``entries[file]["add1_samples"]["samples"][str(k)]``: the selected
project ids (sorted as strings), their total cost, ``exhaustive`` (no supported project of
positive cost -- the ``projects`` set pabutools tests with ``available_projects`` -- that is
not selected still fits within the ORIGINAL budget B), ``over_budget`` (the cost exceeds B),
and pabutools' seconds. These are samples of pabutools' Add1 steps, not the full loop: they
check individual steps, not that the loop stops where ours does in between the samples.
Samples already stored are skipped; the rest of the file is left unchanged.
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

from audits.second_opinion import (
    as_approvals,
    cost,
    equal_shares_at,
    is_exhaustive,
    satisfaction,
    supported_projects,
)
from ballots.pabulib_values import format_decimal

ALL_RULES = ("greedy", "mes", "phragmen", "utilitarian", "equal-shares")


def to_fraction(x: Any) -> Fraction:
    """Convert an int, Fraction or gmpy2 mpq to a Fraction."""
    if isinstance(x, int):
        return Fraction(x)
    return Fraction(int(x.numerator), int(x.denominator))


def exact_decimal(x: Fraction) -> str:
    """Write a Fraction as an exact decimal string, or as n/d if it has no finite decimal form."""
    try:
        return format_decimal(x)
    except ValueError:
        return f"{x.numerator}/{x.denominator}"


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
    from pabutools.election import Cost_Sat
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        max_additive_utilitarian_welfare,
        method_of_equal_shares,
        sequential_phragmen,
    )

    sat = satisfaction(profile)
    entry: dict[str, Any] = {}
    if rule == "phragmen":
        profile = as_approvals(instance, profile)
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
    spent = cost(result)
    entry["selected"] = selected
    entry["spent"] = exact_decimal(spent)
    entry["seconds"] = round(seconds, 3)
    entry["sat"] = "Cost_Sat" if rule == "utilitarian" else sat.__name__
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


ADD1_NOTE = (
    "Samples of pabutools' Add1 steps, not the full loop: plain method_of_equal_shares with "
    "budget_limit B + k*n (each voter starts with B/n + k, as at step k of the Add1 loop); "
    "'exhaustive' and 'over_budget' are judged against the original budget B over the "
    "supported projects of positive cost. Written by bench/pabutools_reference.py "
    "--add1-samples."
)


def run_add1_sample(k: int, instance: Any, profile: Any) -> dict[str, Any]:
    """Run plain pabutools MES with each voter starting at B/n + k; judge it against B."""
    sat = satisfaction(profile)
    budget = to_fraction(instance.budget_limit)
    n = profile.num_ballots()
    sat_profile = profile.as_sat_profile(sat_class=sat)
    supported = supported_projects(sat_profile)
    start = time.perf_counter()
    result = equal_shares_at(k, instance, profile, sat_profile)
    seconds = time.perf_counter() - start
    spent = cost(result)
    return {
        "selected": sorted(str(p.name) for p in result),
        "spent": exact_decimal(spent),
        "exhaustive": is_exhaustive(result, supported, budget),
        "over_budget": spent > budget,
        "voter_budget": exact_decimal(budget / n + k),
        "seconds": round(seconds, 3),
        "sat": sat.__name__,
    }


def add1_samples(out: Path, files: list[Path], ks: list[int]) -> int:
    """Compute the missing Add1 samples for each file."""
    from pabutools.election import parse_pabulib

    data = load(out)
    entries = data.setdefault("entries", {})
    for path in files:
        name = path.stem
        parsed_file = None
        for k in ks:
            samples = entries.get(name, {}).get("add1_samples", {}).get("samples", {})
            if str(k) in samples:
                continue
            if parsed_file is None:
                parsed_file = parse_pabulib(str(path))
            instance, profile = parsed_file
            file_entry = entries.setdefault(name, {"rules": {}})
            block = file_entry.setdefault("add1_samples", {})
            block["note"] = ADD1_NOTE
            block["budget"] = exact_decimal(to_fraction(instance.budget_limit))
            block["voters"] = profile.num_ballots()
            print(f"{name} add1 sample k={k} ...", flush=True)
            sample = run_add1_sample(k, instance, profile)
            print(
                f"  {sample['seconds']} s, {len(sample['selected'])} selected, "
                f"exhaustive={sample['exhaustive']}, over_budget={sample['over_budget']}",
                flush=True,
            )
            block.setdefault("samples", {})[str(k)] = sample
            save(out, data)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Compute the missing reference entries."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rules", default=",".join(ALL_RULES))
    parser.add_argument(
        "--add1-samples",
        metavar="K1,K2,...",
        help="only run plain MES at the given Add1 steps k (voter budget B/n + k)",
    )
    args = parser.parse_args(argv)
    if args.add1_samples is not None:
        try:
            ks = sorted({int(x) for x in args.add1_samples.split(",") if x.strip()})
        except ValueError:
            parser.error("--add1-samples takes comma-separated non-negative integers")
        if not ks or ks[0] < 0:
            parser.error("--add1-samples takes comma-separated non-negative integers")
        return add1_samples(args.out, args.files, ks)
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

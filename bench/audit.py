"""Benchmark the audit trail: close, publish and verify a round of 100k synthetic ballots.

    .venv/bin/python bench/audit.py [--ballots 100000] [--projects 40] [--rule greedy]

Prints the seconds for each step. Targets (issue 5): close + publish under 5 s and verify under
10 s, both excluding the fixed BLS cost (py-ecc pairings), which is printed on its own.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audits import bls, verify
from audits.bundle import BoardBallot, RoundSpec, close_round, publish
from audits.canonical import sha256_hex
from audits.ledger import Ledger, SignedCheckpoint
from audits.receipts import ServerKey
from ballots.model import Ballot, Instance, Project
from ballots.rules import BallotRules


def timed(label: str, fn: Callable[[], Any], results: dict[str, float]) -> Any:
    start = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - start
    print(f"{label:<44} {results[label]:8.3f} s", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--rule", default="greedy")
    parser.add_argument("--signers", type=int, default=3)
    parser.add_argument("--threshold", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(2026)
    areas = [f"Ward {c}" for c in "ABCDEFGH"]
    projects = tuple(
        Project(
            f"p{i}",
            Fraction(rng.randrange(20_000, 400_000) * 100),
            f"Project {i}",
            {"organisation": f"Organisation {i % 17}", "area": areas[i % len(areas)]},
        )
        for i in range(1, args.projects + 1)
    )
    ids = [p.id for p in projects]
    weights = [rng.random() + 0.1 for _ in ids]
    results: dict[str, float] = {}

    def make_board() -> list[BoardBallot]:
        board = []
        for seq in range(1, args.ballots + 1):
            k = rng.randint(1, 5)
            chosen = tuple(dict.fromkeys(rng.choices(ids, weights, k=k)))
            channel = "paper" if seq % 10 == 0 else "online"
            board.append(BoardBallot(seq, rng.randbytes(16), Ballot("", chosen), channel))
        return board

    print(f"{args.ballots} ballots, {args.projects} projects, rule {args.rule}")
    board = timed("generate synthetic ballots (not counted)", make_board, results)

    keys = timed(
        "BLS: keygen + proofs of possession",
        lambda: [bls.generate(f"Member {i}") for i in range(args.signers)],
        results,
    )
    public = timed(
        "BLS: proofs (PopProve)", lambda: tuple(k.public_record() for k in keys), results
    )
    server = ServerKey.generate()
    budget = sum((p.cost for p in projects), Fraction(0)) * 2 // 5
    spec = RoundSpec(
        round_id="bench-100k",
        title="Benchmark round",
        currency="GBP",
        instance=Instance(Fraction(budget), projects),
        rules=BallotRules("approval", min_choices=1, max_choices=5),
        rule=args.rule,
        tie_break={"kind": "lex", "seed": None},
        threshold=args.threshold,
        panel=public,
        server_public_key=server.public_key_hex,
        software_version="decide bench",
        area_deciles={a: i + 1 for i, a in enumerate(areas)},
    )
    closing = timed(
        "close: chain, Merkle, tally, allocation, manifest",
        lambda: close_round(spec, board),
        results,
    )
    doc = closing.manifest.to_dict()
    sigs = timed(
        f"BLS: {args.threshold} members sign the manifest",
        lambda: [bls.sign_document(k, doc) for k in keys[: args.threshold]],
        results,
    )
    ledger = Ledger(spec.round_id)
    orgs = {p.id: p.organisation for p in closing.manifest.projects}
    for day, pid in enumerate(sorted(closing.manifest.allocation)[:10], start=1):
        ledger = ledger.append(
            project_id=pid,
            organisation=orgs[pid],
            amount_pence=int(closing.manifest.allocation[pid]) // 2,
            date=f"2026-12-{day:02d}",
            bank_reference_sha256=sha256_hex(f"ref{day}".encode()),
            approver="Facilitator",
            allocation=closing.manifest.allocation,
            organisations=orgs,
        )
    cp = ledger.checkpoint(closing.manifest.digest(), "2026-11-20")
    cp_sigs = timed(
        "BLS: members sign a ledger checkpoint",
        lambda: [bls.sign_document(k, cp.to_dict()) for k in keys[: args.threshold]],
        results,
    )
    ledger = ledger.with_checkpoint(SignedCheckpoint.of(cp, cp_sigs))
    publication = timed(
        "publish: PDF with attachments", lambda: publish(closing, sigs, ledger), results
    )
    print(f"  PDF size {len(publication.pdf) / 1e6:.1f} MB")

    # Time the BLS part of verification on its own by wrapping the co-signature check.
    bls_seconds = [0.0]
    original = verify.check_cosigned

    def timed_check(*a: Any, **k: Any) -> tuple[bool, str]:
        start = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            bls_seconds[0] += time.perf_counter() - start

    verify.check_cosigned = timed_check  # type: ignore[assignment]
    checks = timed(
        "verify: all checks (with BLS)",
        lambda: verify.verify_pdf(publication.pdf, pinned_keys=public),
        results,
    )
    verify.check_cosigned = original  # type: ignore[assignment]
    for c in checks:
        print("  " + c.line())
    results["verify BLS part"] = bls_seconds[0]
    close_publish = (
        results["close: chain, Merkle, tally, allocation, manifest"]
        + results["publish: PDF with attachments"]
    )
    verify_ex = results["verify: all checks (with BLS)"] - bls_seconds[0]
    bls_fixed = (
        results["BLS: keygen + proofs of possession"]
        + results["BLS: proofs (PopProve)"]
        + results[f"BLS: {args.threshold} members sign the manifest"]
        + results["BLS: members sign a ledger checkpoint"]
    )
    print()
    print(f"close + publish (excluding BLS)     {close_publish:8.3f} s   target < 5 s")
    print(f"verify (excluding BLS)              {verify_ex:8.3f} s   target < 10 s")
    print(
        f"BLS fixed cost in verify            {bls_seconds[0]:8.3f} s   "
        f"({len(public)} proofs of possession, {2 * args.threshold} signatures, 2 aggregates)"
    )
    print(f"BLS fixed cost when signing         {bls_fixed:8.3f} s   (on members' machines)")
    ok = all(c.ok for c in checks)
    print("verification", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Shared fixtures: one small published round, built once per session (BLS in py-ecc is slow)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from hashlib import sha256
from typing import Any

import pytest

from audits import bls
from audits.annex import DecileLine, DeliveryAnnex, ImpactLine, TurnoutLine, decile_money
from audits.board import BoardLine, commitment
from audits.bundle import BoardBallot, Closing, Publication, RoundSpec, close_round, publish
from audits.bundle import signatures_json as make_signatures_json
from audits.canonical import canonical_json, parse_canonical, sha256_hex
from audits.ledger import Ledger, SignedCheckpoint
from audits.receipts import ServerKey
from ballots.model import Ballot, Instance, Project
from ballots.rules import BallotRules

ROUND = "round-2026-health"


@dataclass(frozen=True)
class Built:
    """A published round and everything used to make it."""

    keys: tuple[bls.BlsKeyPair, ...]
    server: ServerKey
    spec: RoundSpec
    board: tuple[BoardBallot, ...]
    closing: Closing
    ledger: Ledger
    publication: Publication
    commitments: tuple[BoardLine, ...] = ()

    @property
    def files(self) -> dict[str, bytes]:
        return dict(self.publication.files)

    @property
    def organisations(self) -> dict[str, str]:
        return {p.id: p.organisation for p in self.closing.manifest.projects}


@pytest.fixture(scope="session")
def panel() -> tuple[tuple[bls.BlsKeyPair, ...], tuple[bls.PublicKeyRecord, ...]]:
    keys = tuple(
        bls.generate(name, seed=bytes([i + 1]) * 32) for i, name in enumerate(["Ada", "Bo", "Cy"])
    )
    return keys, tuple(k.public_record() for k in keys)


@pytest.fixture(scope="session")
def outsider() -> tuple[bls.BlsKeyPair, bls.PublicKeyRecord]:
    key = bls.generate("Eve", seed=b"\x09" * 32)
    return key, key.public_record()


def projects() -> tuple[Project, ...]:
    areas = ["Northside", "Riverside", "Hillside"]
    return tuple(
        Project(
            f"p{i}",
            Fraction(150_000 + 50_000 * i),
            f"Project {i}",
            {"organisation": f"Org {i % 4}", "area": areas[i % 3]},
        )
        for i in range(1, 9)
    )


def make_board(n: int, seed: int = 7) -> tuple[BoardBallot, ...]:
    rng = random.Random(seed)
    ids = [p.id for p in projects()]
    weights = [8, 7, 6, 5, 4, 3, 2, 1]
    out = []
    for seq in range(1, n + 1):
        chosen: list[str] = []
        while len(chosen) < rng.randint(1, 3):
            pid = rng.choices(ids, weights)[0]
            if pid not in chosen:
                chosen.append(pid)
        channel = "paper" if seq % 4 == 0 else "online"
        out.append(BoardBallot(seq, rng.randbytes(16), Ballot("", tuple(chosen)), channel))
    return tuple(out)


def make_spec(public: tuple[bls.PublicKeyRecord, ...], server: ServerKey) -> RoundSpec:
    return RoundSpec(
        round_id=ROUND,
        title="Community health fund 2026",
        currency="GBP",
        instance=Instance(Fraction(1_500_000), projects()),
        rules=BallotRules("approval", min_choices=1, max_choices=3),
        rule="greedy",
        tie_break={"kind": "lex", "seed": None},
        threshold=2,
        panel=public,
        server_public_key=server.public_key_hex,
        software_version="decide 0.1.0",
        area_deciles={"Northside": 1, "Riverside": 4, "Hillside": 9},
        publication_date="2026-11-01",
        software_commit="0" * 40,
        software_repository="https://example.org/decide.git",
    )


def pay(ledger: Ledger, closing: Closing, pid: str, amount: int, day: int) -> Ledger:
    orgs = {p.id: p.organisation for p in closing.manifest.projects}
    return ledger.append(
        project_id=pid,
        organisation=orgs[pid],
        amount_pence=amount,
        date=f"2026-11-{day:02d}",
        bank_reference_sha256=sha256_hex(f"BACS-{day}".encode()),
        approver="Facilitator Fay",
        allocation=closing.manifest.allocation,
        organisations=orgs,
    )


def build(panel, *, checkpoint: bool) -> Built:
    keys, public = panel
    server = ServerKey.from_pem(SERVER_PEM)
    spec = make_spec(public, server)
    board = make_board(60)
    commitments = sealed_lines(board)
    closing = close_round(spec, board, commitments=commitments)
    sigs = [bls.sign_document(k, closing.manifest.to_dict()) for k in keys[:2]]
    funded = sorted(closing.manifest.allocation)
    ledger = Ledger(ROUND)
    ledger = pay(ledger, closing, funded[0], 100_000, 1)
    ledger = pay(ledger, closing, funded[1], 50_000, 2)
    annex = None
    if checkpoint:
        # The full round also carries a delivery annex (issue 16), co-signed with the
        # checkpoint (its SHA-256 is in it), so every check covers it.
        annex = sample_annex(closing, ledger, board).to_json_bytes()
        cp = ledger.checkpoint(closing.manifest.digest(), "2026-11-20", sha256(annex).digest())
        cp_sigs = [bls.sign_document(k, cp.to_dict()) for k in keys[:2]]
        ledger = ledger.with_checkpoint(SignedCheckpoint.of(cp, cp_sigs))
    publication = publish(closing, sigs, ledger, annex=annex)
    return Built(keys, server, spec, board, closing, ledger, publication, commitments)


def sample_annex(closing: Closing, ledger: Ledger, board) -> DeliveryAnnex:
    """Return the round's delivery annex: money and coverage as the signed files give them."""
    m = closing.manifest
    paid: dict[str, int] = {}
    for e in ledger.entries:
        paid[e.project_id] = paid.get(e.project_id, 0) + e.amount_pence
    funded = {pid for pid, amount in m.allocation.items() if amount > 0}
    return DeliveryAnnex(
        currency=m.currency, voters=m.ballot_count,
        covered=sum(1 for b in board if funded & set(b.ballot.projects)),
        deciles=tuple(DecileLine(d, 10_000 + d, a, p)
                      for d, (a, p) in sorted(decile_money(m, paid).items())),
        turnout=(TurnoutLine("Riverside", 4, 14_820, 37), TurnoutLine("Hillside", 9, 10_340, 0)),
        milestones=(("Not started", 1), ("On track", 2), ("Delayed", 0), ("Completed", 3)),
        impact=(ImpactLine("People reached", "people", "latest", Fraction(311, 2), 3, 2),
                ImpactLine("Wellbeing change", "WEMWBS points", "mean", Fraction(7, 3), 3, 2)),
    )  # fmt: skip


def sealed_lines(board: tuple[BoardBallot, ...]) -> tuple[BoardLine, ...]:
    """Return the commitment board lines the sealed box gave these ballots (deterministic)."""
    import hashlib

    from audits.recompute import ballot_bytes

    lines = []
    for b in board:
        tracker = hashlib.sha256(b"tracker" + b.tracker).digest()[:16]
        salt = hashlib.sha256(b"salt" + b.tracker).digest()
        data = ballot_bytes("approval", b.ballot)
        lines.append(BoardLine(tracker, commitment(salt, data), b.channel, data))
    return tuple(sorted(lines, key=lambda x: x.tracker))


SERVER_PEM = ServerKey.generate().to_pem()


@pytest.fixture(scope="session")
def full(panel) -> Built:
    """A published round whose ledger has two payments and a signed checkpoint."""
    return build(panel, checkpoint=True)


@pytest.fixture(scope="session")
def plain(panel) -> Built:
    """The same round with payments but no checkpoint (cheaper to re-sign in tamper tests)."""
    return build(panel, checkpoint=False)


def collude(
    built: Built,
    files: dict[str, bytes],
    change: Callable[[dict[str, Any]], None] = lambda m: None,
    signers: tuple[bls.BlsKeyPair, ...] | None = None,
) -> dict[str, bytes]:
    """Return files with the manifest rewritten to match them, changed, and re-signed."""
    files = dict(files)
    m = parse_canonical(files["manifest.json"])
    names = ("ballots.pb", "keys.json", "board.json")
    m["files"] = {n: sha256_hex(files[n]) for n in names if n in files}
    change(m)
    files["manifest.json"] = canonical_json(m)
    digest = bls.document_digest(m)
    signers = built.keys[:2] if signers is None else signers
    sigs = [bls.sign_document(k, m) for k in signers]
    files["signatures.json"] = make_signatures_json(m["round"], digest, sigs)
    return files

"""Write the published test vectors: small valid rounds, and one invalid copy per check.

    .venv/bin/python tests/vectors/make_vectors.py [OUT_DIR]

Every input is fixed (keys from fixed seeds, trackers from fixed seeds, dates), so the same code
writes the same bytes. Each vector is a folder holding the round's files (manifest.json,
ballots.pb, signatures.json, keys.json, ledger.json), the published PDF carrying them
(round.pdf), the keys an auditor pins (pinned-keys.json, the panel's public key records), and
expected.json: ``{"exit": 0}`` for a valid round, or ``{"exit": 1, "fails": n, "mode": ...}``
for an invalid one, where n is the only check that fails and mode says whether decide-verify is
run on the folder or on round.pdf. Valid rounds also hold tally.html, the accessible HTML tally
that folder mode re-renders (check 9). Invalid copies of check 8 add receipt.json.

See tests/vectors/README.md and docs/FORMATS.md, "Test vectors".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from audits import bls, recompute  # noqa: E402
from audits.board import BoardLine, commitment  # noqa: E402
from audits.bundle import (  # noqa: E402
    BoardBallot,
    RoundSpec,
    close_round,
    publish,
    signatures_json,
)
from audits.canonical import canonical_json, parse_canonical, sha256_hex  # noqa: E402
from audits.edition import document_from_files  # noqa: E402
from audits.html import render_html  # noqa: E402
from audits.ledger import Ledger, SignedCheckpoint  # noqa: E402
from audits.pdf import render_pdf  # noqa: E402
from audits.receipts import Receipt, ServerKey, sign_receipt  # noqa: E402
from ballots.model import Ballot, Instance, Project  # noqa: E402
from ballots.pabulib import parse  # noqa: E402
from ballots.rules import BallotRules, rules_from_pabulib  # noqa: E402

PABULIB = REPO.parent / "shared" / "pabulib" / "Poland_Warszawa_2017_Przyczolek_Grochowski.pb"
FILES = ("manifest.json", "ballots.pb", "signatures.json", "keys.json", "ledger.json")
PANEL = ("Ada Lovelace", "Bronwen Ap Rhys", "Cyrus Khan")


def panel() -> tuple[tuple[bls.BlsKeyPair, ...], tuple[bls.PublicKeyRecord, ...]]:
    keys = tuple(bls.generate(n, seed=bytes([0x51 + i]) * 32) for i, n in enumerate(PANEL))
    public = tuple(dataclasses.replace(k.public_record(), role="panel") for k in keys)
    return keys, public


def server() -> ServerKey:
    return ServerKey(Ed25519PrivateKey.from_private_bytes(b"\x42" * 32))


def _projects(names: Sequence[tuple[str, str, str]], costs: Sequence[int]) -> tuple[Project, ...]:
    return tuple(
        Project(f"p{i}", Fraction(cost), name, {"organisation": org, "area": area})
        for i, ((name, org, area), cost) in enumerate(zip(names, costs, strict=True), start=1)
    )


NAMES = (
    ("Walking group for carers", "Riverside Food Bank", "Riverside"),
    ("Clwb garddio cymunedol", "Cymdeithas Tai Glan-yr-afon", "Glan-yr-afon"),
    ("پارک کی صفائی اور نئے جھولے", "Northbridge Mosque Trust", "Northbridge"),
    ("Łódka dla seniorów", "Fundacja Żółty Dom", "Moorfield"),
    ("Men's shed workshop", "Moorfield Harriers", "Moorfield"),
    ("Youth cookery club", "Riverside Food Bank", "Riverside"),
)
DECILES = {"Riverside": 1, "Glan-yr-afon": 3, "Northbridge": 2, "Moorfield": 8}


def board(ballots: Sequence[tuple[tuple[str, ...], tuple[int, ...] | None]], seed: int):
    rng = random.Random(seed)
    return tuple(
        BoardBallot(seq, rng.randbytes(16), Ballot("", projects, points),
                    "paper" if seq % 5 == 0 else "online")
        for seq, (projects, points) in enumerate(ballots, start=1)
    )  # fmt: skip


def spec(round_id: str, title: str, rules: BallotRules, rule: str, **extra: Any) -> RoundSpec:
    _, public = panel()
    values: dict[str, Any] = {
        "round_id": round_id,
        "title": title,
        "currency": "GBP",
        "instance": Instance(
            Fraction(1_000_000),
            _projects(NAMES, [300_000, 250_000, 200_000, 150_000, 120_000, 90_000]),
        ),
        "rules": rules,
        "rule": rule,
        "tie_break": {"kind": "lex", "seed": None},
        "threshold": 2,
        "panel": public,
        "server_public_key": server().public_key_hex,
        "software_version": "decide 0.1.0",
        "area_deciles": DECILES,
        "publication_date": "2026-11-30",
        "software_commit": "0" * 40,
        "software_repository": "https://example.org/decide.git",
    }
    values.update(extra)
    return RoundSpec(**values)


def approval_ballots(n: int, seed: int) -> list[tuple[tuple[str, ...], None]]:
    rng = random.Random(seed)
    ids = [f"p{i}" for i in range(1, 7)]
    out = []
    for _ in range(n):
        k = rng.randint(1, 3)
        out.append((tuple(rng.sample(ids, k)), None))
    return out


def valid_rounds() -> dict[str, tuple[RoundSpec, tuple[BoardBallot, ...]]]:
    rounds: dict[str, tuple[RoundSpec, tuple[BoardBallot, ...]]] = {}
    rounds["valid-approval-greedy"] = (
        spec("vector-approval", "Northbridge health fund: approval",
             BallotRules("approval", min_choices=1, max_choices=3), "greedy"),
        board(approval_ballots(40, 1), 11),
    )  # fmt: skip
    knapsack = [(p, None) for p, _ in approval_ballots(40, 2)]
    rounds["valid-knapsack-equal-shares-rule-change"] = (
        spec("vector-knapsack", "Glan-yr-afon fund: budget ballot, rule changed",
             BallotRules("knapsack", min_choices=1), "equal-shares",
             rule_at_voting="greedy",
             rule_change_reason="The panel asked for proportional funding after the hustings; "
             "the change was minuted on 2026-11-20."),
        board(knapsack, 12),
    )  # fmt: skip
    rng = random.Random(3)
    cumulative = []
    for _ in range(30):
        chosen = tuple(rng.sample([f"p{i}" for i in range(1, 7)], 2))
        first = rng.randint(1, 9)
        cumulative.append((chosen, (first, 10 - first)))
    rounds["valid-cumulative-phragmen"] = (
        spec("vector-cumulative", "Moorfield fund: points",
             BallotRules("cumulative", min_choices=1, total_points=10, spend_all_points=True),
             "phragmen"),
        board(cumulative, 13),
    )  # fmt: skip
    rng = random.Random(4)
    ranked = [(tuple(rng.sample([f"p{i}" for i in range(1, 7)], 3)), None) for _ in range(30)]
    rounds["valid-ranked-greedy"] = (
        spec("vector-ranked", "Riverside fund: ranked",
             BallotRules("ranked", min_choices=1, rank_depth=3), "greedy"),
        board(ranked, 14),
    )  # fmt: skip
    pb = parse(PABULIB.read_text(encoding="utf-8"))
    # The app keeps money in the minor unit: grosz.
    instance = Instance(
        pb.instance.budget * 100,
        tuple(Project(p.id, p.cost * 100, p.name, {"organisation": "", "area": "Przyczółek"})
              for p in pb.instance.projects),
    )  # fmt: skip
    rules = dataclasses.replace(
        rules_from_pabulib(pb.instance, pb.profile.vote_type), currency="PLN", unit_is_pence=True
    )
    polish = tuple(
        BoardBallot(seq, hashlib.sha256(b.voter_id.encode()).digest()[:16],
                    Ballot("", b.projects, b.points), b.fields.get("voting_method", "internet"))
        for seq, b in enumerate(pb.profile.ballots, start=1)
    )  # fmt: skip
    rounds["valid-pabulib-warszawa-2017"] = (
        spec("vector-warszawa-2017", "Warszawa 2017: Przyczółek Grochowski", rules, "greedy",
             currency="PLN", instance=instance, area_deciles={"Przyczółek": 5}),
        polish,
    )  # fmt: skip
    return rounds


def signed(closing: Any, signers: Sequence[bls.BlsKeyPair]) -> list[bls.SignatureRecord]:
    return [bls.sign_document(k, closing.manifest.to_dict()) for k in signers]


def with_ledger(closing: Any, keys: Sequence[bls.BlsKeyPair]) -> Ledger:
    m = closing.manifest
    orgs = {p.id: p.organisation for p in m.projects}
    ledger = Ledger(m.round_id)
    for day, pid in enumerate(sorted(m.allocation)[:2], start=1):
        ledger = ledger.append(
            project_id=pid, organisation=orgs[pid], amount_pence=int(m.allocation[pid]) // 2,
            date=f"2026-12-{day:02d}", bank_reference_sha256=sha256_hex(f"BACS-{day}".encode()),
            approver="Fay Facilitator", allocation=m.allocation, organisations=orgs,
        )  # fmt: skip
    cp = ledger.checkpoint(m.digest(), "2026-12-05")
    sigs = [bls.sign_document(k, cp.to_dict()) for k in keys[:2]]
    return ledger.with_checkpoint(SignedCheckpoint.of(cp, sigs))


def write(folder: Path, files: dict[str, bytes], pdf: bytes, expected: dict[str, Any],
          extra: dict[str, bytes] | None = None) -> None:  # fmt: skip
    folder.mkdir(parents=True)
    _, public = panel()
    for name in (*FILES, "board.json"):
        if name in files:
            (folder / name).write_bytes(files[name])
    (folder / "round.pdf").write_bytes(pdf)
    pinned = {"type": "decide-keys/v1", "round": "any", "threshold": 2,
              "keys": [k.to_dict() for k in public]}  # fmt: skip
    (folder / "pinned-keys.json").write_bytes(canonical_json(pinned) + b"\n")
    (folder / "expected.json").write_text(json.dumps(expected, sort_keys=True) + "\n")
    for name, data in (extra or {}).items():
        (folder / name).write_bytes(data)


def resign(files: dict[str, bytes], change: Callable[[dict[str, Any]], None]) -> dict[str, bytes]:
    """The panel colludes: the manifest is changed, its file digests updated, and re-signed."""
    keys, _ = panel()
    files = dict(files)
    m = parse_canonical(files["manifest.json"])
    names = ("ballots.pb", "keys.json", "board.json")
    m["files"] = {n: sha256_hex(files[n]) for n in names if n in files}
    change(m)
    files["manifest.json"] = canonical_json(m)
    digest = bls.document_digest(m)
    sigs = [bls.sign_document(k, m) for k in keys[:2]]
    files["signatures.json"] = signatures_json(m["round"], digest, sigs)
    # Its checkpoints named the old manifest: the panel signs them again over the new one.
    old = Ledger.from_json_bytes(files["ledger.json"])
    ledger = Ledger(old.round_id, old.entries)
    for c in old.checkpoints:
        cp = Ledger(old.round_id, old.entries[: c.checkpoint.count], ledger.checkpoints)
        new = cp.checkpoint(digest, c.checkpoint.date)
        signed_cp = SignedCheckpoint.of(
            new, [bls.sign_document(k, new.to_dict()) for k in keys[:2]]
        )
        ledger = ledger.with_checkpoint(signed_cp)
    files["ledger.json"] = ledger.to_json_bytes()
    return files


def sealed_lines(board_: Sequence[BoardBallot]) -> tuple[BoardLine, ...]:
    """Return the commitment board the sealed box gave these ballots (fixed, for vectors)."""
    lines = []
    for item in board_:
        tracker = hashlib.sha256(b"vector-tracker" + item.tracker).digest()[:16]
        salt = hashlib.sha256(b"vector-salt" + item.tracker).digest()
        data = recompute.ballot_bytes("approval", item.ballot)
        lines.append(BoardLine(tracker, commitment(salt, data), item.channel, data))
    return tuple(sorted(lines, key=lambda x: x.tracker))


def _receipt(
    spec_: RoundSpec, board_: Sequence[BoardBallot], line: int, key: ServerKey | None = None
) -> bytes:
    """Return the signed receipt the sealed box gave the ballot at this line of the board."""
    x = sealed_lines(board_)[line - 1]
    receipt = Receipt(spec_.round_id, x.tracker, x.commitment)
    return sign_receipt(key or server(), receipt).to_json()


def invalid_vectors(base: Any, spec_: RoundSpec, board_: tuple[BoardBallot, ...]):
    """Yield (name, files, pdf, expected, extra) for one invalid copy per check 1-9."""
    keys, _ = panel()
    files = dict(base.files)
    folder = {"exit": 1, "mode": "folder"}

    # 1: ballots.pb's header says something else; its digest no longer matches the manifest.
    pb = files["ballots.pb"].replace(b"description;", b"description;(edited) ", 1)
    yield "invalid-1-attachment-digest", {**files, "ballots.pb": pb}, base.pdf, \
        {**folder, "fails": 1}, None  # fmt: skip

    # 2: a ballot choosing four projects where at most three are allowed; the colluding panel
    # recomputed the chain, the tally and the allocation and re-signed them.
    bad = list(board_)
    b = bad[0]
    bad[0] = dataclasses.replace(b, ballot=Ballot("", ("p1", "p2", "p3", "p4")))
    closing = close_round(spec_, bad)
    pub = publish(closing, signed(closing, keys[:2]))
    yield "invalid-2-ballot-breaks-the-rules", dict(pub.files), pub.pdf, \
        {**folder, "fails": 2}, None  # fmt: skip

    # 3: two ballots swapped on the board; the manifest keeps the original chain head.
    text = files["ballots.pb"].decode().splitlines()
    votes = text.index("VOTES")
    first, second = votes + 2, votes + 3
    header = text[votes + 1].split(";")
    seq = header.index("sequence")
    a, c = text[first].split(";"), text[second].split(";")
    a[seq], c[seq] = c[seq], a[seq]
    text[first], text[second] = ";".join(c), ";".join(a)
    swapped = {**files, "ballots.pb": ("\n".join(text) + "\n").encode()}
    yield "invalid-3-chain-order", resign(swapped, lambda m: None), base.pdf, \
        {**folder, "fails": 3}, None  # fmt: skip

    # 4: one project's approvals raised in the manifest's tally.
    def tally(m: dict[str, Any]) -> None:
        m["tally"]["projects"]["p2"]["approvals"] += 5

    yield "invalid-4-tally", resign(files, tally), base.pdf, {**folder, "fails": 4}, None

    # 5: an unfunded project funded instead of a funded one.
    def allocation(m: dict[str, Any]) -> None:
        unfunded = next(p for p in m["projects"] if p["id"] not in m["allocation"])
        m["allocation"].pop(sorted(m["allocation"])[-1])
        m["allocation"][unfunded["id"]] = unfunded["cost"]

    yield "invalid-5-allocation", resign(files, allocation), base.pdf, \
        {**folder, "fails": 5}, None  # fmt: skip

    # 6: the aggregate signature is over another message.
    sigs = parse_canonical(files["signatures.json"])
    other = bls.aggregate([bls.sign(k.secret_key, bytes(32)) for k in keys[:2]])
    sigs["aggregate"] = other.hex()
    yield "invalid-6-aggregate", {**files, "signatures.json": canonical_json(sigs)}, base.pdf, \
        {**folder, "fails": 6}, None  # fmt: skip

    # 7: a payment's amount changed after its checkpoint was signed.
    ledger = parse_canonical(files["ledger.json"])
    ledger["entries"][0]["amount_pence"] += 1
    yield "invalid-7-ledger", {**files, "ledger.json": canonical_json(ledger)}, base.pdf, \
        {**folder, "fails": 7}, None  # fmt: skip

    # 8: a receipt signed by another server key.
    forged = ServerKey(Ed25519PrivateKey.from_private_bytes(b"\x43" * 32))
    yield "invalid-8-receipt", files, base.pdf, {**folder, "fails": 8}, \
        {"receipt.json": _receipt(spec_, board_, 3, forged)}  # fmt: skip

    # 9: the printed results table says another project was funded; the files are genuine.
    doc = document_from_files(files)
    rows = list(doc.rows)
    i = next(n for n, r in enumerate(rows) if not r.funded)
    rows[i] = dataclasses.replace(rows[i], funded=True, amount=rows[i].cost)
    page = render_pdf(dataclasses.replace(doc, rows=tuple(rows)))
    yield "invalid-9-printed-page", files, page, {"exit": 1, "mode": "pdf", "fails": 9}, None
    # 9, folder: the HTML tally beside the files says another project was funded.
    html = render_html(dataclasses.replace(doc, rows=tuple(rows)))
    yield "invalid-9-html-tally", files, base.pdf, {**folder, "fails": 9}, {"tally.html": html}


def main(out: Path) -> int:
    if out.exists():
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
    out.mkdir(parents=True, exist_ok=True)
    keys, _ = panel()
    for name, (spec_, board_) in valid_rounds().items():
        sealed = sealed_lines(board_) if name == "valid-approval-greedy" else ()
        closing = close_round(spec_, board_, commitments=sealed)
        ledger = with_ledger(closing, keys) if name == "valid-approval-greedy" else None
        pub = publish(closing, signed(closing, keys[:2]), ledger)
        extra = {"tally.html": pub.html}
        if ledger is not None:
            extra["receipt.json"] = _receipt(spec_, board_, 3)
        write(out / name, dict(pub.files), pub.pdf, {"exit": 0}, extra)
        print(f"{name}: {len(pub.pdf):,} bytes")
        if name == "valid-approval-greedy":
            for bad, files, pdf, expected, extra in invalid_vectors(pub, spec_, board_):
                write(out / bad, files, pdf, expected, extra)
                print(f"{bad}")
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    raise SystemExit(main(target))

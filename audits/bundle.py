"""Close and publish a round: every file of the verifiable record, from plain values.

The app calls `close_round` when the facilitator closes voting, shows the manifest to the
panel, collects their signatures, and calls `publish` to write the PDF. Tests and the
benchmark build their rounds the same way, so what they verify is what the app publishes.

Files (the names are fixed; `audits.pdf` attaches them)::

    manifest.json     canonical JSON, see audits.manifest
    ballots.pb        anonymised ballots, pabulib format (ballots.pabulib.write); VOTES has
                      voter_id = the tracker in hex, plus columns sequence and channel, rows in
                      sequence order, so the chain can be rebuilt from this file alone
    board.json        the commitment board (audits.board): tracker, commitment and route of
                      every ballot, sorted by tracker; its Merkle root is the manifest's
                      "board_root". Then ballots.pb is the plaintext list: ballots sorted
                      by canonical bytes, voter_id = the list position (audits.board.list_id),
                      channel "sealed", so nothing in it points at a tracker or a voter
    keys.json         canonical JSON {"type": "decide-keys/v1", "round": str,
                      "keys": [public key record with "role", ...], "threshold": int}
                      (records: audits.bls; "threshold" is k, optional). Auditors pin this
                      file: decide-verify --keys refuses other keys and a manifest with a
                      lower k
    signatures.json   canonical JSON {"type": "decide-signatures/v1", "round": str,
                      "manifest": 64 hex (the manifest digest),
                      "signatures": [signature record, ...], "aggregate": 192 hex}
    ledger.json       canonical JSON, see audits.ledger
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audits import recompute
from audits.archive import source_archive_sha256
from audits.bls import PublicKeyRecord, SignatureRecord, aggregate
from audits.board import BoardLine, board_json, open_board
from audits.canonical import canonical_json, sha256_hex
from audits.chain import genesis, leaf_hash, next_head
from audits.edition import document_from_files
from audits.html import render_html
from audits.ledger import Ledger
from audits.manifest import Manifest, ManifestProject
from audits.merkle import InclusionProof, MerkleTree
from audits.pdf import LAYOUT, render_pdf
from audits.typeface import font_digests
from audits.words import RULE_DESCRIPTIONS, rule_words, tie_break_words
from ballots.model import Ballot, Instance, Profile, Project
from ballots.pabulib import PbFile, default_project_columns, write
from ballots.rules import BallotRules

__all__ = [
    "KEYS_TYPE",
    "RULE_DESCRIPTIONS",
    "SIGNATURES_TYPE",
    "BoardBallot",
    "Closing",
    "Publication",
    "RoundSpec",
    "close_round",
    "keys_json",
    "publish",
    "signatures_json",
]

KEYS_TYPE = "decide-keys/v1"
SIGNATURES_TYPE = "decide-signatures/v1"


@dataclass(frozen=True)
class BoardBallot:
    """An accepted ballot as the board holds it: its place, tracker and channel."""

    sequence: int
    tracker: bytes
    ballot: Ballot
    channel: str = "online"


@dataclass(frozen=True)
class RoundSpec:
    """What a closed round was: its settings, its panel and its server key, as plain values.

    Projects carry ``fields["organisation"]`` and ``fields["area"]``; `area_deciles` gives
    each area's deprivation decile for the PDF chart. `rule_at_voting` is the rule fixed when
    voting opened ('' means `rule`), and `rule_change_reason` the public reason for confirming
    another. `publication_date` (YYYY-MM-DD) dates the first edition.
    """

    round_id: str
    title: str
    currency: str
    instance: Instance
    rules: BallotRules
    rule: str
    tie_break: Mapping[str, Any]
    threshold: int
    panel: tuple[PublicKeyRecord, ...]
    server_public_key: str
    software_version: str
    rule_parameters: Mapping[str, Any] = field(default_factory=dict)
    area_deciles: Mapping[str, int] = field(default_factory=dict)
    rule_at_voting: str = ""
    rule_change_reason: str = ""
    publication_date: str = ""
    threshold_reason: str = ""
    software_commit: str = "unknown"
    software_repository: str = ""


@dataclass(frozen=True)
class Closing:
    """A closed round: its manifest, the files it names, and the tree for inclusion proofs."""

    spec: RoundSpec
    manifest: Manifest
    ballots_pb: bytes
    keys_json: bytes
    tree: MerkleTree = field(compare=False)
    board_json: bytes = b""

    def proof(self, sequence: int) -> InclusionProof:
        """Return the inclusion proof for the ballot with this sequence number."""
        return self.tree.proof(sequence - 1)


@dataclass(frozen=True)
class Publication:
    """A published edition: the attachments by name, the PDF that carries them, and the same
    tally as an accessible HTML page (tally.html)."""

    files: Mapping[str, bytes]
    pdf: bytes
    html: bytes = b""


def _organisation(p: Project) -> str:
    return p.fields.get("organisation", "")


def _area(p: Project) -> str:
    return p.fields.get("area", "")


def keys_json(
    round_id: str, panel: Sequence[PublicKeyRecord], threshold: int | None = None
) -> bytes:
    """Return keys.json for a round's registered panel keys (and its threshold k, if given)."""
    obj: dict[str, Any] = {"type": KEYS_TYPE, "round": round_id}
    obj["keys"] = [k.to_dict() for k in panel]
    if threshold is not None:
        obj["threshold"] = threshold
    return canonical_json(obj)


def signatures_json(
    round_id: str, manifest_digest: bytes, signatures: Sequence[SignatureRecord]
) -> bytes:
    """Return signatures.json: each signature on the manifest and their aggregate."""
    return canonical_json(
        {
            "type": SIGNATURES_TYPE,
            "round": round_id,
            "manifest": manifest_digest.hex(),
            "signatures": [s.to_dict() for s in signatures],
            "aggregate": aggregate([s.signature for s in signatures]).hex() if signatures else "",
        }
    )


def anonymised_pb(spec: RoundSpec, board: Sequence[BoardBallot]) -> bytes:
    """Return ballots.pb: the round's projects and its ballots under their trackers."""
    ballots = tuple(
        Ballot(
            voter_id=b.tracker.hex(),
            projects=b.ballot.projects,
            points=b.ballot.points,
            fields={"sequence": str(b.sequence), "channel": b.channel},
        )
        for b in board
    )
    profile = Profile(spec.rules.vote_type, ballots)
    columns = ["voter_id", "vote"]
    if profile.vote_type in ("cumulative", "scoring"):
        columns.append("points")
    columns += ["sequence", "channel"]
    meta = {"description": spec.title, **dict(spec.instance.meta), "round": spec.round_id}
    instance = Instance(spec.instance.budget, spec.instance.projects, meta)
    pb = PbFile(
        instance=instance,
        profile=profile,
        project_columns=default_project_columns(instance.projects),
        vote_columns=tuple(columns),
    )
    return write(pb).encode("utf-8")


def close_round(
    spec: RoundSpec,
    board: Sequence[BoardBallot],
    *,
    allocation: recompute.Allocation | None = None,
    commitments: Sequence[BoardLine] = (),
) -> Closing:
    """Freeze the board: chain, Merkle tree, tally, allocation and the manifest.

    `board` must be in sequence order from 1. `allocation` (amounts and Add1's k) defaults to
    running the round's rule through `audits.recompute.allocation`.
    """
    head = genesis(spec.round_id)
    leaves = []
    channels: dict[str, int] = {}
    trackers: set[bytes] = set()
    for expected, b in enumerate(board, start=1):
        if b.sequence != expected:
            raise ValueError(f"board is not in sequence order: {b.sequence} at {expected}")
        if b.tracker in trackers:
            raise ValueError(f"tracker {b.tracker.hex()} appears twice on the board")
        trackers.add(b.tracker)
        data = recompute.ballot_bytes(spec.rules.kind, b.ballot)
        leaf = leaf_hash(spec.round_id, b.sequence, b.tracker, data)
        head = next_head(head, leaf)
        leaves.append(leaf)
        channels[b.channel] = channels.get(b.channel, 0) + 1
    tree = MerkleTree(leaves)
    profile = Profile(spec.rules.vote_type, tuple(b.ballot for b in board))
    if allocation is None:
        allocation = recompute.allocation(
            spec.rule, spec.instance, profile, spec.rule_parameters, spec.tie_break
        )
    if spec.rule_at_voting and spec.rule_at_voting != spec.rule and not spec.rule_change_reason:
        raise ValueError("a rule other than the one fixed at voting needs a public reason")
    ballots_pb = anonymised_pb(spec, board)
    keys = keys_json(spec.round_id, spec.panel, spec.threshold)
    files = {"ballots.pb": sha256_hex(ballots_pb), "keys.json": sha256_hex(keys)}
    board_bytes = b""
    extra: dict[str, Any] = {}
    if commitments:
        opened = open_board(spec.round_id, commitments)
        if len(opened.lines) != len(board):
            raise ValueError("the commitment board and the ballot list differ in length")
        board_bytes = board_json(spec.round_id, opened.lines)
        files["board.json"] = sha256_hex(board_bytes)
        extra["board_root"] = opened.root.hex()
    manifest = Manifest(
        round_id=spec.round_id,
        title=spec.title,
        budget=spec.instance.budget,
        currency=spec.currency,
        ballot=recompute.rules_to_dict(spec.rules),
        rule=spec.rule,
        rule_parameters=dict(spec.rule_parameters),
        tie_break=dict(spec.tie_break),
        projects=tuple(
            ManifestProject(p.id, p.name, p.cost, _organisation(p), _area(p))
            for p in spec.instance.projects
        ),
        ballot_count=len(board),
        ballots_by_channel=dict(sorted(channels.items())),
        files=files,
        extra=extra,
        merkle_root=tree.root.hex(),
        chain_head=head.hex(),
        tally=recompute.tally_json(spec.instance, profile, spec.rules),
        allocation=dict(allocation.amounts),
        software_version=spec.software_version,
        server_public_key=spec.server_public_key,
        threshold=spec.threshold,
        software_commit=spec.software_commit,
        software_repository=spec.software_repository,
        verifier_archive_sha256=source_archive_sha256(),
        threshold_reason=spec.threshold_reason,
        rule_at_voting=spec.rule_at_voting or spec.rule,
        rule_change_reason=spec.rule_change_reason,
        rule_words=rule_words(spec.rule, spec.rule_parameters),
        tie_break_words=tie_break_words(spec.tie_break),
        add1=allocation.add1,
        area_deciles=dict(sorted(spec.area_deciles.items())),
        publication_date=spec.publication_date,
        rendering={"layout": LAYOUT, "fonts": font_digests()},
    )
    return Closing(spec, manifest, ballots_pb, keys, tree, board_bytes)


def publish(
    closing: Closing,
    signatures: Sequence[SignatureRecord],
    ledger: Ledger | None = None,
    annex: bytes | None = None,
) -> Publication:
    """Return every file of the published record and the PDF that carries them.

    The PDF prints what `audits.edition.document_from_files` reads from these files, so its
    edition number and date follow from the ledger's co-signed checkpoints. The caller checks
    the signatures first (`audits.bls.check_cosigned`); this only writes.
    """
    m = closing.manifest
    ledger = ledger if ledger is not None else Ledger(m.round_id)
    files = {
        "manifest.json": m.to_json_bytes(),
        "ballots.pb": closing.ballots_pb,
        "signatures.json": signatures_json(m.round_id, m.digest(), signatures),
        "keys.json": closing.keys_json,
        "ledger.json": ledger.to_json_bytes(),
    }
    if closing.board_json:
        files["board.json"] = closing.board_json
    if annex is not None:
        files["delivery.json"] = annex
    doc = document_from_files(files)
    return Publication(files, render_pdf(doc), render_html(doc))

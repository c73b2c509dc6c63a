"""Close and publish a round: every file of the verifiable record, from plain values.

The app calls `close_round` when the facilitator closes voting, shows the manifest to the
panel, collects their signatures, and calls `publish` to write the PDF. Tests and the
benchmark build their rounds the same way, so what they verify is what the app publishes.

Files (the names are fixed; `audits.pdf` attaches them)::

    manifest.json     canonical JSON, see audits.manifest
    ballots.pb        anonymised ballots, pabulib format (ballots.pabulib.write); VOTES has
                      voter_id = the tracker in hex, plus columns sequence and channel, rows in
                      sequence order, so the chain can be rebuilt from this file alone
    keys.json         canonical JSON {"type": "decide-keys/v1", "round": str,
                      "keys": [public key record, ...], "threshold": int} (records:
                      audits.bls; "threshold" is k, optional). Auditors pin this file:
                      decide-verify --keys refuses other keys and a manifest with a lower k
    signatures.json   canonical JSON {"type": "decide-signatures/v1", "round": str,
                      "manifest": 64 hex (the manifest digest),
                      "signatures": [signature record, ...], "aggregate": 192 hex}
    ledger.json       canonical JSON, see audits.ledger
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from audits import recompute
from audits.bls import PublicKeyRecord, SignatureRecord, aggregate
from audits.canonical import canonical_json, sha256_hex
from audits.chain import genesis, leaf_hash, next_head
from audits.ledger import Ledger
from audits.manifest import Manifest, ManifestProject
from audits.merkle import InclusionProof, MerkleTree
from audits.pdf import AreaFunds, ResultRow, SignerLine, TallyDocument, render_pdf
from ballots.model import Ballot, Instance, Profile, Project
from ballots.pabulib import PbFile, default_project_columns, write
from ballots.rules import BallotRules, describe

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

RULE_DESCRIPTIONS: Mapping[str, str] = {
    "greedy": "Projects are taken in order of votes, most first; a project that no longer "
    "fits in the remaining budget is skipped and the next one is tried.",
    "utilitarian": "The set of projects with the most total support that fits in the budget.",
    "equal-shares": "The Method of Equal Shares: the budget is split equally between voters, "
    "and a project is funded when its supporters can pay for it from their shares; the "
    "cheapest per supporter goes first. Shares are then raised step by step (Add1) and any "
    "money left is spent greedily.",
    "phragmen": "Sequential Phragmén: projects are added one by one so that the cost carried "
    "by their supporters stays as even as possible.",
    "equity": "An optimisation that maximises support within the budget while guaranteeing "
    "each area a floor weighted by deprivation, with caps per organisation and quotas per "
    "theme.",
}


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
    each area's deprivation decile for the PDF chart.
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


@dataclass(frozen=True)
class Closing:
    """A closed round: its manifest, the files it names, and the tree for inclusion proofs."""

    spec: RoundSpec
    manifest: Manifest
    ballots_pb: bytes
    keys_json: bytes
    tree: MerkleTree = field(compare=False)

    def proof(self, sequence: int) -> InclusionProof:
        """Return the inclusion proof for the ballot with this sequence number."""
        return self.tree.proof(sequence - 1)


@dataclass(frozen=True)
class Publication:
    """A published edition: the attachments by name, and the PDF that carries them."""

    files: Mapping[str, bytes]
    pdf: bytes


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
    allocation: Mapping[str, Fraction] | None = None,
) -> Closing:
    """Freeze the board: chain, Merkle tree, tally, allocation and the manifest.

    `board` must be in sequence order from 1. `allocation` (project -> amount) defaults to
    running the round's rule through `audits.recompute.allocate`.
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
        allocation = recompute.allocate(
            spec.rule, spec.instance, profile, spec.rule_parameters, spec.tie_break
        )
    ballots_pb = anonymised_pb(spec, board)
    keys = keys_json(spec.round_id, spec.panel, spec.threshold)
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
        files={"ballots.pb": sha256_hex(ballots_pb), "keys.json": sha256_hex(keys)},
        merkle_root=tree.root.hex(),
        chain_head=head.hex(),
        tally=recompute.tally_json(spec.instance, profile, spec.rules),
        allocation=dict(allocation),
        software_version=spec.software_version,
        server_public_key=spec.server_public_key,
        threshold=spec.threshold,
    )
    return Closing(spec, manifest, ballots_pb, keys, tree)


def _support(tally: Mapping[str, Any], pid: str, kind: str) -> int:
    row = tally.get("projects", {}).get(pid, {})
    key = {"cumulative": "points", "ranked": "borda"}.get(kind, "approvals")
    return int(row.get(key, 0))


def tally_document(
    closing: Closing,
    signatures: Sequence[SignatureRecord],
    files: Sequence[tuple[str, bytes]],
    ledger: Ledger,
    *,
    edition: str = "1",
) -> TallyDocument:
    """Return the PDF's content for a closed round and its signatures."""
    spec, m = closing.spec, closing.manifest
    kind = spec.rules.kind
    rows = tuple(
        ResultRow(
            p.id,
            p.name,
            _organisation(p),
            _area(p),
            _support(m.tally, p.id, kind),
            p.cost,
            p.id in m.allocation,
            m.allocation.get(p.id, Fraction(0)),
        )
        for p in spec.instance.projects
    )
    area_totals: dict[str, Fraction] = {}
    for p in spec.instance.projects:
        area_totals.setdefault(_area(p), Fraction(0))
        area_totals[_area(p)] += m.allocation.get(p.id, Fraction(0))
    areas = tuple(
        AreaFunds(a or "(no area)", spec.area_deciles.get(a), amount)
        for a, amount in sorted(area_totals.items())
    )
    label = {"cumulative": "Points", "ranked": "Borda score"}.get(kind, "Votes")
    paid = sum(e.amount_pence for e in ledger.entries)
    ledger_summary = (
        f"{ledger.count} payments recorded, {paid} {spec.currency} minor units in total; "
        f"{len(ledger.checkpoints)} signed checkpoints."
        if ledger.entries or ledger.checkpoints
        else ""
    )
    return TallyDocument(
        round_id=spec.round_id,
        title=spec.title,
        currency=spec.currency,
        budget=spec.instance.budget,
        rule_name=spec.rule,
        rule_description=RULE_DESCRIPTIONS.get(spec.rule, ""),
        tie_break=str(m.tie_break.get("kind", ""))
        + (f" (seed {m.tie_break['seed']})" if m.tie_break.get("seed") else ""),
        ballot_description=" ".join(describe(spec.rules, spec.instance)),
        ballot_count=m.ballot_count,
        ballots_by_channel=tuple(sorted(m.ballots_by_channel.items())),
        support_label=label,
        rows=rows,
        areas=areas,
        merkle_root=m.merkle_root,
        chain_head=m.chain_head,
        manifest_digest=m.digest_hex(),
        threshold=m.threshold,
        key_count=len(spec.panel),
        signers=tuple(
            SignerLine(s.signer, s.public_key.hex(), s.signature.hex()) for s in signatures
        ),
        aggregate_signature=aggregate([s.signature for s in signatures]).hex()
        if signatures
        else "",
        attachments=tuple(files),
        edition=edition,
        ledger_summary=ledger_summary,
    )


def publish(
    closing: Closing,
    signatures: Sequence[SignatureRecord],
    ledger: Ledger | None = None,
    *,
    edition: str = "1",
) -> Publication:
    """Return every file of the published record and the PDF that carries them.

    The caller checks the signatures first (`audits.bls.check_cosigned`); this only writes.
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
    doc = tally_document(closing, signatures, list(files.items()), ledger, edition=edition)
    return Publication(files, render_pdf(doc))

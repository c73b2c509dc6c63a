"""The manifest, publication with k of n signatures, PDF editions and inclusion proofs.

Every published file is produced by `audits.bundle` from plain values read here, so what the
app publishes is exactly what `decide-verify` checks:

- `write_manifest` (a job): the board, the confirmed outcome (decide.models.results) and the
  registered keys go through `audits.bundle.close_round`; manifest.json, ballots.pb and
  keys.json are stored. The allocation is recomputed with `audits.recompute.allocate` and must
  equal the confirmed amounts, so the verifier's check 5 cannot disagree with the app.
- publishing is the phase change closed -> published: its guard needs k stored signatures by
  the manifest's keys, and its effect schedules `publish_round` (a job) to write edition 1.
- `write_edition` (a job) writes the next edition whenever a ledger checkpoint reaches k
  signatures. Editions are rebuilt from stored bytes only, so the same state gives the same PDF.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from audits import recompute
from audits.bls import PublicKeyRecord
from audits.board import BoardLine, board_json
from audits.bundle import BoardBallot, Closing, RoundSpec, close_round, publish
from audits.canonical import parse_canonical
from audits.manifest import Manifest
from audits.merkle import InclusionProof, MerkleTree
from audits.receipts import SignedReceipt, verify_receipt
from audits.receipts import check_counted as receipt_counted
from ballots.model import Instance
from ballots.model import Project as CoreProject
from ballots.wording import plural
from decide import __version__
from decide.models import (
    BoardEntry,
    Edition,
    Project,
    Round,
    RoundManifest,
    SigningKey,
    User,
)
from decide.models.limits import INT32_MAX
from decide.models.results import RoundResult
from decide.services import signing
from decide.services.closing import (
    BoardRow,
    closing_of,
    no_progress,
    parse_choices,
    read_board,
    schedule_job,
)
from decide.services.deliberation import minutes as deliberation_minutes
from decide.services.errors import DomainError
from decide.services.rounds import PhaseBlocker
from decide.services.sanitise import whole_number
from decide.services.voting import (
    ballot_projects,
    ballot_rules,
    chain_round_id,
    load_server_key,
)


class PublicationRefused(DomainError):
    """A publication step that cannot happen yet; the message says what is missing."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def confirmed_result(session: Session, round_id: int) -> RoundResult | None:
    """Return the round's confirmed outcome (written by the results pages), or None."""
    return session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))


def _core_projects(session: Session, rnd: Round) -> tuple[CoreProject, ...]:
    out = []
    for p in ballot_projects(session, rnd.id):
        fields = {
            "organisation": p.organisation.name if p.organisation else "",
            "area": p.area.name if p.area else "",
        }
        out.append(CoreProject(p.code, Fraction(p.cost_pence), p.title, fields))
    return tuple(out)


def _area_deciles(session: Session, rnd: Round) -> dict[str, int]:
    deciles = {a.name: a.deprivation_decile for a in rnd.areas}
    for p in ballot_projects(session, rnd.id):
        if p.area is not None:
            deciles[p.area.name] = p.area.deprivation_decile
    return dict(sorted(deciles.items()))


def _git(*args: str) -> str:
    """Return a git command's output in this checkout, or '' where there is no git."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def software_commit() -> str:
    """Return the git commit this server runs (DECIDE_COMMIT, else the checkout's HEAD)."""
    configured = os.environ.get("DECIDE_COMMIT", "").strip()
    if configured:
        return configured
    commit = _git("rev-parse", "HEAD")
    return commit if len(commit) == 40 else "unknown"


def software_repository() -> str:
    """Return where the published code is kept: DECIDE_SOURCE_REPOSITORY, else git's origin.

    Printed on every PDF, so that auditors get the verifier by repository, version and archive
    hash rather than by a package name. '' when neither is known (the PDF then says so).
    """
    configured = os.environ.get("DECIDE_SOURCE_REPOSITORY", "").strip()
    return configured or _git("remote", "get-url", "origin")


def round_spec(session: Session, rnd: Round, result: RoundResult) -> RoundSpec:
    """Return the closed round as the plain values `audits.bundle` needs."""
    keys = signing.round_keys(session, rnd.id)
    return RoundSpec(
        round_id=chain_round_id(rnd.id),
        title=rnd.title,
        currency=rnd.currency,
        instance=Instance(Fraction(rnd.budget_pence), _core_projects(session, rnd)),
        rules=ballot_rules(rnd),
        rule=result.rule,
        tie_break={"kind": result.tie_break_kind, "seed": result.tie_break_seed},
        threshold=rnd.signature_threshold,
        panel=tuple(signing.key_record(k) for k in keys),
        server_public_key=load_server_key(current_app.config["RECEIPT_KEY_FILE"]).public_key_hex,
        software_version=f"decide {__version__}",
        rule_parameters=dict(result.parameters or {}),
        area_deciles=_area_deciles(session, rnd),
        rule_at_voting=result.original_rule or result.rule,
        rule_change_reason=result.change_reason or "",
        publication_date=_now().date().isoformat(),
        threshold_reason=(rnd.threshold_reason or "").strip(),
        software_commit=software_commit(),
        software_repository=software_repository(),
    )


def manifest_problems(session: Session, rnd: Round) -> list[str]:
    """Return what is missing before the manifest can be written (empty when ready)."""
    problems = []
    if rnd.phase != "closed":
        problems.append("The manifest is written while the round is closed, before publication.")
    if closing_of(session, rnd.id) is None:
        problems.append("The board has not finished closing yet.")
    if confirmed_result(session, rnd.id) is None:
        problems.append("Confirm the allocation rule on the results page first.")
    n_keys = len(signing.round_keys(session, rnd.id))
    if rnd.signature_threshold < 2 and not (rnd.threshold_reason or "").strip():
        problems.append(
            "This round needs only one signature to publish, and a threshold of one needs a "
            "stated reason (it is signed in the manifest and printed on the PDF). Set the "
            "reason in the round's settings, or ask for two signatures."
        )
    if n_keys < rnd.signature_threshold:
        problems.append(
            f"Publication needs {plural(rnd.signature_threshold, 'signature')}, but only "
            f"{plural(n_keys, 'panel key')} {'is' if n_keys == 1 else 'are'} registered. "
            "Panel members register "
            "their keys first."
        )
    return problems


def start_manifest(session: Session, rnd: Round) -> None:
    """Schedule the manifest job when the round is ready for it; commit."""
    problems = manifest_problems(session, rnd)
    if problems:
        raise PublicationRefused(" ".join(problems))
    schedule_job(session, rnd, "manifest")
    session.commit()


def commitment_lines(session: Session, round_id: int) -> tuple[BoardLine, ...]:
    """Return the round's commitment board as written when the box was opened."""
    return tuple(
        BoardLine(bytes(t), bytes(c), r)
        for t, c, r in session.execute(
            select(BoardEntry.tracker, BoardEntry.commitment, BoardEntry.route)
            .where(BoardEntry.round_id == round_id)
            .order_by(BoardEntry.position)
        )
    )


def _board(rows: list[BoardRow]) -> list[BoardBallot]:
    return [
        BoardBallot(r.sequence, r.tracker, ballot, r.channel)
        for r, ballot in zip(rows, parse_choices(rows), strict=True)
    ]


def write_manifest(session: Session, rnd: Round, progress: Any = no_progress) -> RoundManifest:
    """Build manifest.json, ballots.pb and keys.json from the board and the confirmed outcome."""
    problems = manifest_problems(session, rnd)
    if problems:
        raise PublicationRefused(" ".join(problems))
    result = confirmed_result(session, rnd.id)
    closing_row = closing_of(session, rnd.id)
    assert result is not None and closing_row is not None
    spec = round_spec(session, rnd, result)
    rows = read_board(session, rnd.id, progress)
    # close_round recomputes every leaf and head from the ballots; the head and root must equal
    # those found when the board was closed (checked below), so any change is caught.
    board = _board(rows)
    progress("Recomputing the allocation", len(rows), len(rows), force=True)
    confirmed = {code: Fraction(text) for code, text in (result.amounts or {}).items()}
    try:
        allocation = recompute.allocation(
            spec.rule,
            spec.instance,
            _profile(spec, board),
            spec.rule_parameters,
            spec.tie_break,
        )
    except (recompute.RuleUnavailable, ValueError, TypeError) as exc:
        raise PublicationRefused(
            f"The confirmed rule {spec.rule!r} cannot be recomputed by the verifier: {exc}"
        ) from None
    if allocation.amounts != confirmed:
        raise PublicationRefused(
            "Recomputing the confirmed rule gives another allocation than the confirmed one; "
            "confirm the rule again on the results page."
        )
    progress("Writing manifest.json and ballots.pb", len(rows), len(rows), force=True)
    closing = close_round(
        spec, board, allocation=allocation, commitments=commitment_lines(session, rnd.id)
    )
    m = closing.manifest
    # The panel's approved minutes (issue 15): their chain head and the shortlist they record.
    minutes_fields = deliberation_minutes.manifest_fields(session, rnd)
    if minutes_fields:
        m = dataclasses.replace(m, extra={**m.extra, **minutes_fields})
    if (m.merkle_root, m.chain_head) != (closing_row.merkle_root, closing_row.chain_head):
        raise PublicationRefused("The board changed since it was closed; it cannot be published.")
    row = session.get(RoundManifest, rnd.id)
    if row is None:
        row = RoundManifest(round_id=rnd.id)
        session.add(row)
    row.digest = m.digest_hex()
    row.manifest_json = m.to_json_bytes()
    row.ballots_pb = closing.ballots_pb
    row.keys_json = closing.keys_json
    row.area_deciles_json = json.dumps(dict(spec.area_deciles), sort_keys=True)
    row.created_at = _now()
    session.commit()
    return row


def _profile(spec: RoundSpec, board: list[BoardBallot]) -> Any:
    from ballots.model import Profile

    return Profile(spec.rules.vote_type, tuple(b.ballot for b in board))


def manifest_of(session: Session, round_id: int) -> RoundManifest | None:
    """Return the round's stored manifest, or None."""
    return session.get(RoundManifest, round_id)


def stored_closing(row: RoundManifest) -> Closing:
    """Rebuild the audits Closing from stored bytes only (no recomputation)."""
    m = Manifest.from_json_bytes(row.manifest_json)
    keys = tuple(PublicKeyRecord.from_dict(k) for k in parse_canonical(row.keys_json)["keys"])
    instance = Instance(
        m.budget,
        tuple(
            CoreProject(p.id, p.cost, p.name, {"organisation": p.organisation, "area": p.area})
            for p in m.projects
        ),
    )
    spec = RoundSpec(
        round_id=m.round_id,
        title=m.title,
        currency=m.currency,
        instance=instance,
        rules=recompute.rules_from_dict(m.ballot),
        rule=m.rule,
        tie_break=m.tie_break,
        threshold=m.threshold,
        panel=keys,
        server_public_key=m.server_public_key,
        software_version=m.software_version,
        rule_parameters=m.rule_parameters,
        area_deciles=json.loads(row.area_deciles_json or "{}"),
    )
    return Closing(spec, m, row.ballots_pb, row.keys_json, MerkleTree([]))


def with_board(session: Session, closing: Closing) -> Closing:
    """Return the closing with board.json rebuilt from the board rows (as the manifest hashed)."""
    if "board.json" not in closing.manifest.files:
        return closing
    round_id = int(closing.manifest.round_id)
    data = board_json(closing.manifest.round_id, commitment_lines(session, round_id))
    return dataclasses.replace(closing, board_json=data)


def manifest_signatures(session: Session, rnd: Round) -> signing.SignatureSet:
    """Return the stored signatures on the round's manifest by its frozen keys."""
    row = manifest_of(session, rnd.id)
    if row is None:
        return signing.SignatureSet((), rnd.signature_threshold, 0)
    keys = signing.frozen_keys(session, rnd)
    return signing.signature_set(session, rnd, signing.MANIFEST_TYPE, row.digest, keys)


# --- Publication (phase hooks) ----------------------------------------------------------------


def publish_guard(session: Session, rnd: Round) -> str | None:
    """Return why the round cannot be published yet (the publication page shows it), or None."""
    blocker = publish_blocker(session, rnd)
    return blocker.message if blocker else None


def publish_blocker(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Phase guard closed -> published: a confirmed rule, its manifest, and k signatures."""
    result = confirmed_result(session, rnd.id)
    row = manifest_of(session, rnd.id)
    if result is None and row is None:
        return PhaseBlocker(
            "Publishing needs a confirmed allocation rule: compare the rules and confirm one.",
            "results",
        )
    if row is None:
        return PhaseBlocker(
            "Publishing needs the manifest: write it on the publication page.", "publication"
        )
    manifest = Manifest.from_json_bytes(row.manifest_json)
    confirmed = {k: Fraction(v) for k, v in (result.amounts if result else {}).items()}
    if result is None or result.rule != manifest.rule or confirmed != dict(manifest.allocation):
        return PhaseBlocker(
            "The confirmed outcome changed after the manifest was written; write the manifest "
            "again and ask the panel to sign the new one.",
            "publication",
        )
    sigs = manifest_signatures(session, rnd)
    holders = {k.public_key: k for k in signing.frozen_keys(session, rnd)}
    if sigs.records and not any(
        _independent(holders.get(r.public_key.hex())) for r in sigs.records
    ):
        # A facilitator seated on the panel signs as a panel member, but is still the
        # facilitator: the record needs one signer who does not run the round.
        return PhaseBlocker(
            "Only the facilitator's side has signed (facilitators and officials, including a "
            "facilitator seated on the panel); a round's facilitator never publishes alone. A "
            "panel member who is not a facilitator must sign the manifest too.",
            "publication",
        )
    if not sigs.complete:
        return PhaseBlocker(
            f"Publishing needs {plural(rnd.signature_threshold, 'valid panel signature')} on "
            f"the manifest; {len(sigs.records)} so far.",
            "publication",
        )
    return None


def _independent(key: SigningKey | None) -> bool:
    """Return True for a panel member's key held by someone who is not a facilitator."""
    return (
        key is not None and key.role == "panel" and not getattr(key.user, "is_facilitator", False)
    )


def on_publish(session: Session, rnd: Round, actor: User) -> None:
    """Phase effect closed -> published: schedule the first PDF edition."""
    schedule_job(session, rnd, "publish")


def publish_round(session: Session, rnd: Round, progress: Any = no_progress) -> Edition:
    """Check the signatures again and write edition 1 (job for the phase change)."""
    if editions(session, rnd.id):
        return editions(session, rnd.id)[0]
    return _write_edition(session, rnd, "Results published", progress)


def write_edition(session: Session, rnd: Round, progress: Any = no_progress) -> Edition:
    """Write the next edition with the current ledger (job after a signed checkpoint)."""
    return _write_edition(session, rnd, "Ledger checkpoint signed", progress)


def _write_edition(session: Session, rnd: Round, reason: str, progress: Any) -> Edition:
    from decide.services.ledger import signed_ledger

    if rnd.phase not in ("published", "delivery"):
        raise PublicationRefused("Editions are written once the round is published.")
    row = manifest_of(session, rnd.id)
    if row is None:
        raise PublicationRefused("The round has no manifest.")
    progress("Collecting the panel's signatures", 0, 3, force=True)
    closing = stored_closing(row)
    # Each signature was verified against its key on upload, and each key's proof of
    # possession at registration; py-ecc pairings are slow, so they are not re-run here.
    # decide-verify re-checks everything from the PDF.
    sigs = manifest_signatures(session, rnd)
    if not sigs.complete:
        raise PublicationRefused(
            f"The manifest has {plural(len(sigs.records), 'valid signature')}; "
            f"{closing.manifest.threshold} {'is' if closing.manifest.threshold == 1 else 'are'} "
            "needed."
        )
    # An edition carries the ledger as far as its last co-signed checkpoint, and is numbered
    # by it (edition 1 + checkpoints): the verifier derives both from ledger.json.
    ledger = signed_ledger(session, rnd)
    number = len(ledger.checkpoints) + 1
    existing = edition(session, rnd.id, number)
    if existing is not None:
        return existing
    progress("Writing the PDF", 1, 3, force=True)
    pub = publish(with_board(session, closing), sigs.records, ledger)
    progress("Storing the PDF", 2, 3, force=True)
    row = Edition(
        round_id=rnd.id,
        number=number,
        reason=reason,
        sha256=hashlib.sha256(pub.pdf).hexdigest(),
        size=len(pub.pdf),
        pdf=pub.pdf,
        created_at=_now(),
    )
    session.add(row)
    session.commit()
    return row


def editions(session: Session, round_id: int) -> list[Edition]:
    """Return the round's PDF editions, oldest first (PDF bytes loaded on access)."""
    return list(
        session.scalars(
            select(Edition).where(Edition.round_id == round_id).order_by(Edition.number)
        )
    )


def edition(session: Session, round_id: int, number: int | None = None) -> Edition | None:
    """Return one edition, or the latest when `number` is None."""
    query = select(Edition).where(Edition.round_id == round_id)
    if number is None:
        query = query.order_by(Edition.number.desc()).limit(1)
    else:
        query = query.where(Edition.number == number)
    return session.scalar(query)


def find_round(session: Session, ref: str) -> Round | None:
    """Return a round by id or slug."""
    if (round_id := whole_number(ref, maximum=INT32_MAX)) is not None:
        found = session.get(Round, round_id)
        if found is not None:
            return found
    return session.scalar(select(Round).where(Round.slug == ref))


# --- Receipts: "verify my ballot was counted" -------------------------------------------------


@dataclass(frozen=True)
class CountedCheck:
    """The answer to "was my ballot counted?" against the published Merkle root."""

    ok: bool
    messages: tuple[str, ...]
    round: Round | None = None
    sequence: int | None = None
    root: str = ""
    proof: InclusionProof | None = None


def check_counted(session: Session, text: str | bytes) -> CountedCheck:
    """Check a receipt: server signature, then inclusion under the published Merkle root."""
    try:
        signed = SignedReceipt.from_json(text)
    except ValueError as exc:
        return CountedCheck(False, (f"This is not a receipt we can read: {exc}.",))
    r = signed.receipt
    round_id = whole_number(r.round_id, maximum=INT32_MAX)
    rnd = session.get(Round, round_id) if round_id is not None else None
    if rnd is None:
        return CountedCheck(False, ("This receipt names a round that does not exist here.",))
    row = manifest_of(session, rnd.id)
    if rnd.phase not in ("published", "delivery") or row is None:
        return CountedCheck(
            False, ("The results of this round are not published yet; check again later.",), rnd
        )
    manifest = Manifest.from_json_bytes(row.manifest_json)
    messages = []
    if not verify_receipt(manifest.server_public_key, signed):
        return CountedCheck(
            False,
            ("The receipt's signature is not valid for the server key in the published "
             "manifest: it was not issued by this server, or it was changed.",),
            rnd,
        )  # fmt: skip
    messages.append("The receipt's signature is valid for the key in the published manifest.")
    entries = session.execute(
        select(BoardEntry.tracker, BoardEntry.leaf)
        .where(BoardEntry.round_id == rnd.id)
        .order_by(BoardEntry.position)
    ).all()
    leaves = [bytes(leaf) for _, leaf in entries]
    position = next((i for i, (t, _) in enumerate(entries, 1) if bytes(t) == r.tracker), None)
    board_root = manifest.extra.get("board_root")
    if position is None or board_root is None:
        return CountedCheck(False, (*messages, "No counted ballot has this tracker."), rnd)
    tree = MerkleTree(leaves)
    proof = tree.proof(position - 1)
    ok, why = receipt_counted(
        signed,
        server_public_key=manifest.server_public_key,
        round_id=manifest.round_id,
        board_root=bytes.fromhex(board_root),
        ballot_count=manifest.ballot_count,
        proof=proof,
    )
    if not ok:
        return CountedCheck(False, (*messages, f"Not counted: {why}."), rnd)
    messages.append(
        f"Your ballot is line {position} of the {plural(manifest.ballot_count, 'ballot')} "
        "counted: its tracker and commitment are included under the published board root "
        f"{board_root[:16]}… (a proof of {plural(len(proof.path), 'hash', 'hashes')}, shown below)."
    )
    return CountedCheck(True, tuple(messages), rnd, position, board_root, proof)


def published_summary(session: Session, rnd: Round) -> Mapping[str, Any]:
    """Return what the public publication page shows about a round."""
    row = manifest_of(session, rnd.id)
    return {
        "closing": closing_of(session, rnd.id),
        "manifest": row,
        "result": confirmed_result(session, rnd.id),
        "keys": signing.frozen_keys(session, rnd),
        "signatures": manifest_signatures(session, rnd),
        "editions": editions(session, rnd.id),
    }


def project_names(session: Session, round_id: int) -> dict[str, str]:
    """Return project code -> title."""
    query = select(Project.code, Project.title).where(Project.round_id == round_id)
    return {code: title for code, title in session.execute(query)}

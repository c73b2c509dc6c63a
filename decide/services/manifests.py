"""The manifest: the closed round, its confirmed outcome and its keys, as `audits.bundle` sees it.

`write_manifest` (a job): the board, the confirmed outcome (decide.models.results) and the
registered keys go through `audits.bundle.close_round`; manifest.json, ballots.pb and keys.json
are stored. The allocation is recomputed with `audits.recompute.allocate` and must equal the
confirmed amounts, so the verifier's check 5 cannot disagree with the app.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits import recompute
from audits.bls import PublicKeyRecord
from audits.board import BoardLine, board_json
from audits.bundle import BoardBallot, Closing, RoundSpec, close_round
from audits.canonical import parse_canonical
from audits.manifest import Manifest
from audits.merkle import MerkleTree
from ballots.model import Instance
from ballots.model import Project as CoreProject
from ballots.wording import plural
from decide import __version__
from decide.models import (
    BoardEntry,
    Round,
    RoundManifest,
)
from decide.models.results import RoundResult
from decide.services import signing, sortition
from decide.services.ballot_values import ballot_rules
from decide.services.closing import BoardRow, closing_of, parse_choices, read_board
from decide.services.deliberation import minutes as deliberation_minutes
from decide.services.errors import DomainError
from decide.services.jobs import no_progress, schedule_job, server_key
from decide.services.results import confirmed_result
from decide.services.unit_of_work import transactional
from decide.services.voting import ballot_projects, chain_round_id


class PublicationRefused(DomainError):
    """A publication step that cannot happen yet; the message says what is missing."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
        server_public_key=server_key().public_key_hex,
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
    if not rnd.phase.awaiting_publication:
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


@transactional
def start_manifest(session: Session, rnd: Round) -> None:
    """Schedule the manifest job when the round is ready for it; commit."""
    problems = manifest_problems(session, rnd)
    if problems:
        raise PublicationRefused(" ".join(problems))
    schedule_job(session, rnd, "manifest")


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
    # The panel's sortition record (issue 15): the SHA-256 of its canonical bytes.
    minutes_fields.update(sortition.manifest_fields(session, rnd))
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

"""Receipts: "verify my ballot was counted" against the published board root."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits.manifest import Manifest
from audits.merkle import InclusionProof, MerkleTree
from audits.receipts import SignedReceipt, verify_receipt
from audits.receipts import check_counted as receipt_counted
from ballots.wording import plural
from decide.models import (
    BoardEntry,
    Round,
)
from decide.models.limits import INT32_MAX
from decide.services.manifests import manifest_of
from decide.services.sanitise import whole_number


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

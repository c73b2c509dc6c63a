"""The disbursement ledger: hash-chained payments, never more than a project's allocation.

Byte formats (``H`` = SHA-256, ``u32`` big-endian, ``cj`` = `audits.canonical.canonical_json`)::

    head_0 = H( b"decide/ledger/genesis/v1\\x00" || u32(len(utf8(round))) || utf8(round) )
    body_n = {"type": "decide-ledger-entry/v1", "round": str, "sequence": int (from 1),
              "project": str, "organisation": str, "amount_pence": int (> 0),
              "date": "YYYY-MM-DD", "bank_reference_sha256": 64 hex, "approver": str}
    head_n = H( b"decide/ledger/entry/v1\\x00" || head_{n-1} || cj(body_n) )

A checkpoint is the document ``{"type": "decide-ledger-checkpoint/v1", "round": str,
"count": int, "head": 64 hex, "manifest": 64 hex}`` (``manifest`` is the digest of the
round's manifest); panel members co-sign its digest exactly as they sign the manifest
(`audits.bls`). ``ledger.json`` is ``cj`` of::

    {"type": "decide-ledger/v1", "round": str,
     "entries": [body_n + {"hash": 64 hex (head_n)}, ...],
     "checkpoints": [{"checkpoint": {...}, "signatures": [signature record, ...],
                      "aggregate": 192 hex}, ...]}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from audits.bls import SignatureRecord, aggregate, document_digest
from audits.canonical import CanonicalJSONError, canonical_json, parse_canonical, unhex

__all__ = [
    "Checkpoint",
    "Ledger",
    "LedgerCheck",
    "LedgerEntry",
    "LedgerError",
    "OverAllocation",
    "SignedCheckpoint",
    "ledger_genesis",
    "verify_ledger",
]

ENTRY_TYPE = "decide-ledger-entry/v1"
CHECKPOINT_TYPE = "decide-ledger-checkpoint/v1"
LEDGER_TYPE = "decide-ledger/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class LedgerError(ValueError):
    """A payment or a ledger file that the ledger's rules refuse."""


class OverAllocation(LedgerError):
    """A payment that would take a project over its allocation."""


def _pounds(pence: int | Fraction) -> str:
    q = Fraction(pence)
    if q.denominator != 1:
        return f"{q} pence"
    sign = "-" if q < 0 else ""
    pounds, rest = divmod(abs(q.numerator), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def ledger_genesis(round_id: str) -> bytes:
    """Return the ledger head before any payment."""
    data = round_id.encode("utf-8")
    return hashlib.sha256(
        b"decide/ledger/genesis/v1\x00" + struct.pack(">I", len(data)) + data
    ).digest()


@dataclass(frozen=True)
class LedgerEntry:
    """One payment, with the chain hash that follows from it."""

    round_id: str
    sequence: int
    project_id: str
    organisation: str
    amount_pence: int
    date: str
    bank_reference_sha256: str
    approver: str
    hash: bytes = b""

    def body(self) -> dict[str, Any]:
        """Return the hashed fields as plain JSON values."""
        return {
            "type": ENTRY_TYPE,
            "round": self.round_id,
            "sequence": self.sequence,
            "project": self.project_id,
            "organisation": self.organisation,
            "amount_pence": self.amount_pence,
            "date": self.date,
            "bank_reference_sha256": self.bank_reference_sha256,
            "approver": self.approver,
        }

    def chain_hash(self, prev: bytes) -> bytes:
        """Return head_n for this entry after head `prev`."""
        return hashlib.sha256(
            b"decide/ledger/entry/v1\x00" + prev + canonical_json(self.body())
        ).digest()

    def problems(self) -> list[str]:
        """Return what is malformed in this entry's fields (empty when well formed)."""
        out = []
        if isinstance(self.amount_pence, bool) or not isinstance(self.amount_pence, int):
            out.append("amount must be a whole number of pence")
        elif self.amount_pence <= 0:
            out.append("amount must be positive")
        try:
            if dt.date.fromisoformat(self.date).isoformat() != self.date:
                raise ValueError
        except (TypeError, ValueError):
            out.append(f"date {self.date!r} is not YYYY-MM-DD")
        if not isinstance(self.bank_reference_sha256, str) or not _HEX64.fullmatch(
            self.bank_reference_sha256
        ):
            out.append("bank reference must be a SHA-256 in lowercase hex")
        for name in ("project_id", "organisation", "approver"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                out.append(f"{name.replace('_id', '')} must be named")
        return out


@dataclass(frozen=True)
class Checkpoint:
    """A statement of the ledger head, to be co-signed."""

    round_id: str
    count: int
    head: bytes
    manifest_digest: bytes

    def to_dict(self) -> dict[str, Any]:
        """Return the checkpoint document as plain JSON values."""
        return {
            "type": CHECKPOINT_TYPE,
            "round": self.round_id,
            "count": self.count,
            "head": self.head.hex(),
            "manifest": self.manifest_digest.hex(),
        }

    def digest(self) -> bytes:
        """Return the digest panel members sign."""
        return document_digest(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        """Build a checkpoint from its JSON object, or raise LedgerError."""
        try:
            if data["type"] != CHECKPOINT_TYPE:
                raise LedgerError(f"checkpoint type must be {CHECKPOINT_TYPE!r}")
            count = data["count"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise LedgerError("checkpoint count must be a non-negative integer")
            if not isinstance(data["round"], str):
                raise LedgerError("checkpoint round must be a string")
            return cls(
                data["round"],
                count,
                unhex(data["head"], 32, "checkpoint head"),
                unhex(data["manifest"], 32, "checkpoint manifest"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(f"malformed checkpoint ({exc})") from exc


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with the panel's signatures and their aggregate."""

    checkpoint: Checkpoint
    signatures: tuple[SignatureRecord, ...]
    aggregate: bytes

    def to_dict(self) -> dict[str, Any]:
        """Return the signed checkpoint as plain JSON values."""
        return {
            "checkpoint": self.checkpoint.to_dict(),
            "signatures": [s.to_dict() for s in self.signatures],
            "aggregate": self.aggregate.hex(),
        }

    @classmethod
    def of(cls, checkpoint: Checkpoint, signatures: Sequence[SignatureRecord]) -> SignedCheckpoint:
        """Bundle a checkpoint with its signatures and compute their aggregate."""
        return cls(checkpoint, tuple(signatures), aggregate([s.signature for s in signatures]))


@dataclass(frozen=True)
class Ledger:
    """A round's ledger: payments in order, and its signed checkpoints."""

    round_id: str
    entries: tuple[LedgerEntry, ...] = ()
    checkpoints: tuple[SignedCheckpoint, ...] = field(default=())

    @property
    def head(self) -> bytes:
        """Return the current ledger head."""
        return self.entries[-1].hash if self.entries else ledger_genesis(self.round_id)

    @property
    def count(self) -> int:
        """Return the number of payments."""
        return len(self.entries)

    def paid(self, project_id: str) -> int:
        """Return the pence paid so far to a project."""
        return sum(e.amount_pence for e in self.entries if e.project_id == project_id)

    def append(
        self,
        *,
        project_id: str,
        organisation: str,
        amount_pence: int,
        date: str,
        bank_reference_sha256: str,
        approver: str,
        allocation: Mapping[str, Fraction | int],
        organisations: Mapping[str, str] | None = None,
    ) -> Ledger:
        """Return the ledger with one more payment, or raise LedgerError saying why not."""
        entry = LedgerEntry(
            self.round_id,
            self.count + 1,
            project_id,
            organisation,
            amount_pence,
            date,
            bank_reference_sha256,
            approver,
        )
        problems = entry.problems()
        if problems:
            raise LedgerError("; ".join(problems))
        if project_id not in allocation:
            raise OverAllocation(f"project {project_id} was not allocated any money")
        if organisations is not None and organisations.get(project_id) != organisation:
            raise LedgerError(
                f"project {project_id} is run by {organisations.get(project_id)!r}, "
                f"not {organisation!r}"
            )
        limit = Fraction(allocation[project_id])
        paid = self.paid(project_id)
        if paid + amount_pence > limit:
            raise OverAllocation(
                f"paying {_pounds(amount_pence)} to project {project_id} would bring its "
                f"payments to {_pounds(paid + amount_pence)}, over its allocation of "
                f"{_pounds(limit)} ({_pounds(limit - paid)} left)"
            )
        entry = LedgerEntry(**{**entry.__dict__, "hash": entry.chain_hash(self.head)})
        return Ledger(self.round_id, (*self.entries, entry), self.checkpoints)

    def checkpoint(self, manifest_digest: bytes) -> Checkpoint:
        """Return a checkpoint of the current head, to be co-signed."""
        return Checkpoint(self.round_id, self.count, self.head, manifest_digest)

    def with_checkpoint(self, signed: SignedCheckpoint) -> Ledger:
        """Return the ledger with a signed checkpoint added."""
        return Ledger(self.round_id, self.entries, (*self.checkpoints, signed))

    def to_dict(self) -> dict[str, Any]:
        """Return ledger.json's content as plain JSON values."""
        return {
            "type": LEDGER_TYPE,
            "round": self.round_id,
            "entries": [e.body() | {"hash": e.hash.hex()} for e in self.entries],
            "checkpoints": [c.to_dict() for c in self.checkpoints],
        }

    def to_json_bytes(self) -> bytes:
        """Return ledger.json (canonical JSON)."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_json_bytes(cls, data: bytes) -> Ledger:
        """Parse ledger.json as stored, without checking its chain, or raise LedgerError."""
        try:
            obj = parse_canonical(data)
        except CanonicalJSONError as exc:
            raise LedgerError(f"ledger.json: {exc}") from exc
        try:
            if obj["type"] != LEDGER_TYPE:
                raise LedgerError(f"ledger.json: type must be {LEDGER_TYPE!r}")
            entries = []
            for e in obj["entries"]:
                if set(e) != _ENTRY_KEYS or e["type"] != ENTRY_TYPE:
                    raise LedgerError(f"ledger.json: entry fields must be {sorted(_ENTRY_KEYS)}")
                entries.append(
                    LedgerEntry(
                        e["round"],
                        e["sequence"],
                        e["project"],
                        e["organisation"],
                        e["amount_pence"],
                        e["date"],
                        e["bank_reference_sha256"],
                        e["approver"],
                        unhex(e["hash"], 32, "entry hash"),
                    )
                )
            checkpoints = tuple(
                SignedCheckpoint(
                    Checkpoint.from_dict(c["checkpoint"]),
                    tuple(SignatureRecord.from_dict(s) for s in c["signatures"]),
                    unhex(c["aggregate"], 96, "checkpoint aggregate"),
                )
                for c in obj["checkpoints"]
            )
            return cls(obj["round"], tuple(entries), checkpoints)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(f"ledger.json: malformed ({exc})") from exc


_ENTRY_KEYS = {
    "type", "round", "sequence", "project", "organisation", "amount_pence", "date",
    "bank_reference_sha256", "approver", "hash",
}  # fmt: skip


@dataclass(frozen=True)
class LedgerCheck:
    """The result of re-verifying a ledger."""

    ok: bool
    reason: str
    heads: tuple[bytes, ...] = ()


def verify_ledger(
    ledger: Ledger,
    *,
    allocation: Mapping[str, Fraction | int],
    organisations: Mapping[str, str],
) -> LedgerCheck:
    """Recompute the chain; check amounts against allocations and payees against organisations.

    Checkpoint signatures are checked by the caller (they need the panel's keys); this checks
    that each checkpoint names a head the chain really had.
    """
    head = ledger_genesis(ledger.round_id)
    heads = [head]
    paid: dict[str, int] = {}
    for position, e in enumerate(ledger.entries, start=1):
        where = f"ledger entry {position}"
        if e.round_id != ledger.round_id:
            return LedgerCheck(False, f"{where} belongs to round {e.round_id!r}")
        if e.sequence != position:
            return LedgerCheck(False, f"{where} has sequence {e.sequence}")
        problems = e.problems()
        if problems:
            return LedgerCheck(False, f"{where}: {'; '.join(problems)}")
        head = e.chain_hash(head)
        if e.hash != head:
            return LedgerCheck(False, f"{where}: hash does not follow from the chain")
        heads.append(head)
        if e.project_id not in allocation:
            return LedgerCheck(False, f"{where} pays project {e.project_id}, which was not funded")
        if organisations.get(e.project_id) != e.organisation:
            return LedgerCheck(
                False,
                f"{where} pays {e.organisation!r}, but project {e.project_id} is run by "
                f"{organisations.get(e.project_id)!r}",
            )
        paid[e.project_id] = paid.get(e.project_id, 0) + e.amount_pence
        if paid[e.project_id] > Fraction(allocation[e.project_id]):
            return LedgerCheck(
                False,
                f"{where}: payments to project {e.project_id} reach {paid[e.project_id]} pence, "
                f"over its allocation of {allocation[e.project_id]}",
            )
    for i, c in enumerate(ledger.checkpoints, start=1):
        cp = c.checkpoint
        if cp.round_id != ledger.round_id:
            return LedgerCheck(False, f"checkpoint {i} belongs to round {cp.round_id!r}")
        if cp.count > len(ledger.entries) or heads[cp.count] != cp.head:
            return LedgerCheck(
                False, f"checkpoint {i} names a head the ledger did not have at {cp.count}"
            )
    summary = f"{len(ledger.entries)} payments, {len(ledger.checkpoints)} checkpoints"
    covered = max((c.checkpoint.count for c in ledger.checkpoints), default=0)
    if covered < len(ledger.entries):
        summary += f"; {len(ledger.entries) - covered} payments after the last checkpoint"
    return LedgerCheck(True, summary, tuple(heads))

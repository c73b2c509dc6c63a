"""The disbursement ledger: hash-chained payments, never more than a project's allocation.

Byte formats (``H`` = SHA-256, ``u32`` big-endian, ``cj`` = `audits.canonical.canonical_json`)::

    head_0 = H( b"decide/ledger/genesis/v1\\x00" || u32(len(utf8(round))) || utf8(round) )
    body_n = {"type": "decide-ledger-entry/v1", "round": str, "sequence": int (from 1),
              "project": str, "organisation": str, "amount_pence": int (> 0),
              "date": "YYYY-MM-DD", "bank_reference_sha256": 64 hex, "approver": str}
              + {"reason": str} only when the payment has one (a payment beyond the
                confirmed milestones' tranches must; the key is absent otherwise)
    head_n = H( b"decide/ledger/entry/v1\\x00" || head_{n-1} || cj(body_n) )

A checkpoint is the document ``{"type": "decide-ledger-checkpoint/v1", "round": str,
"count": int, "head": 64 hex, "manifest": 64 hex, "previous": 64 hex | null,
"date": "YYYY-MM-DD", "annex": 64 hex}``: ``head`` is head_count, ``manifest`` the digest
of the round's manifest, ``previous`` the digest of the checkpoint before it (null for the
first), and ``date`` the day it was drawn up; ``annex`` (absent before issue 16) is the
SHA-256 of the delivery.json that the edition after the checkpoint carries, so every figure
of the PDF's delivery annex is co-signed (`audits.annex`). Panel members co-sign its digest
exactly as they sign the manifest (`audits.bls`). Checkpoints form a chain: each names the
one before, counts never go down, and dates never go back, so a checkpoint cannot be dropped
from the middle unnoticed; an auditor who kept a later head detects a dropped last one
(``decide-verify --ledger-head``). A payment is *covered* when a co-signed checkpoint's count
reaches its sequence; a published edition carries only covered payments. ``ledger.json`` is
``cj`` of::

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
from ballots.wording import money as format_money

__all__ = [
    "Checkpoint",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "OverAllocation",
    "SignedCheckpoint",
    "ledger_genesis",
]

ENTRY_TYPE = "decide-ledger-entry/v1"
CHECKPOINT_TYPE = "decide-ledger-checkpoint/v1"
LEDGER_TYPE = "decide-ledger/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class LedgerError(ValueError):
    """A payment or a ledger file that the ledger's rules refuse."""


class OverAllocation(LedgerError):
    """A payment that would take a project over its allocation."""


def _is_date(text: object) -> bool:
    try:
        return isinstance(text, str) and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


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
    reason: str = ""

    def body(self) -> dict[str, Any]:
        """Return the hashed fields as plain JSON values (the reason only when there is one)."""
        body: dict[str, Any] = {
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
        if self.reason:
            body["reason"] = self.reason
        return body

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
        if not isinstance(self.reason, str) or self.reason != self.reason.strip():
            out.append("reason must be text without surrounding spaces")
        return out


@dataclass(frozen=True)
class Checkpoint:
    """A statement of the ledger head, to be co-signed."""

    round_id: str
    count: int
    head: bytes
    manifest_digest: bytes
    previous: bytes | None = None
    date: str = ""
    # SHA-256 of the delivery annex (delivery.json) the next edition carries, so the panel
    # co-signs its populations, turnout, milestones and impact too. Checkpoints written
    # before the annex existed have none (and no "annex" field: their digests are unchanged).
    annex: bytes | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the checkpoint document as plain JSON values."""
        doc: dict[str, Any] = {
            "type": CHECKPOINT_TYPE,
            "round": self.round_id,
            "count": self.count,
            "head": self.head.hex(),
            "manifest": self.manifest_digest.hex(),
            "previous": None if self.previous is None else self.previous.hex(),
            "date": self.date,
        }
        if self.annex is not None:
            doc["annex"] = self.annex.hex()
        return doc

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
            if set(data) - {"annex"} != _CHECKPOINT_KEYS:
                raise LedgerError(f"checkpoint fields must be {sorted(_CHECKPOINT_KEYS)}")
            if not _is_date(data["date"]):
                raise LedgerError(f"checkpoint date {data['date']!r} is not YYYY-MM-DD")
            previous = data["previous"]
            return cls(
                data["round"],
                count,
                unhex(data["head"], 32, "checkpoint head"),
                unhex(data["manifest"], 32, "checkpoint manifest"),
                None if previous is None else unhex(previous, 32, "checkpoint previous"),
                data["date"],
                unhex(data["annex"], 32, "checkpoint annex") if "annex" in data else None,
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
        currency: str = "GBP",
        reason: str = "",
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
            reason=reason,
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

            def money(amount: Fraction | int) -> str:
                return format_money(amount, currency)

            raise OverAllocation(
                f"paying {money(amount_pence)} to project {project_id} would bring its "
                f"payments to {money(paid + amount_pence)}, over its allocation of "
                f"{money(limit)} ({money(limit - paid)} left)"
            )
        entry = LedgerEntry(**{**entry.__dict__, "hash": entry.chain_hash(self.head)})
        return Ledger(self.round_id, (*self.entries, entry), self.checkpoints)

    def checkpoint(
        self, manifest_digest: bytes, date: str, annex: bytes | None = None
    ) -> Checkpoint:
        """Return a checkpoint of the current head, naming the last one, to be co-signed
        (with `annex`, the SHA-256 of the delivery annex the next edition carries)."""
        if not _is_date(date):
            raise LedgerError(f"checkpoint date {date!r} is not YYYY-MM-DD")
        previous = self.checkpoints[-1].checkpoint.digest() if self.checkpoints else None
        return Checkpoint(
            self.round_id, self.count, self.head, manifest_digest, previous, date, annex
        )

    @property
    def covered_count(self) -> int:
        """Return how many payments a co-signed checkpoint covers (the last one's count)."""
        return self.checkpoints[-1].checkpoint.count if self.checkpoints else 0

    def covered(self) -> Ledger:
        """Return the ledger as far as its last checkpoint: what an edition publishes."""
        return Ledger(self.round_id, self.entries[: self.covered_count], self.checkpoints)

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
                keys = set(e)
                if keys - {"reason"} != _ENTRY_KEYS or e["type"] != ENTRY_TYPE:
                    raise LedgerError(f"ledger.json: entry fields must be {sorted(_ENTRY_KEYS)}")
                if "reason" in e and (not isinstance(e["reason"], str) or not e["reason"]):
                    raise LedgerError("ledger.json: an entry's reason, when present, is text")
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
                        e.get("reason", ""),
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


_CHECKPOINT_KEYS = {"type", "round", "count", "head", "manifest", "previous", "date"}
_ENTRY_KEYS = {
    "type",
    "round",
    "sequence",
    "project",
    "organisation",
    "amount_pence",
    "date",
    "bank_reference_sha256",
    "approver",
    "hash",
}

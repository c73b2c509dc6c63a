"""The manifest: the signed summary of a closed round, and the statement panel members co-sign.

Byte format: the manifest file ``manifest.json`` is exactly `canonical_json` (see
`audits.canonical`) of this object; its digest is the SHA-256 of those bytes, and the
co-signed message is ``b"decide/cosign/v1\\x00" || digest`` (see `audits.bls`)::

    {
      "type": "decide-manifest/v1",
      "round": str,                   round id
      "title": str,
      "budget": str,                  exact decimal, in the round's money unit (pence in the app)
      "currency": str,                e.g. "GBP"; amounts are in its minor unit (pence)
      "ballot": {"kind": str, ...},   ballot kind and its limits, plain values
      "rule": str,                    allocation rule name, a key of decide.allocation.RULES
      "rule_parameters": {...},
      "tie_break": {"kind": "lex" | "lottery", "seed": str | null},
      "projects": [{"id", "name", "cost" (exact decimal), "organisation", "area"}, ...],
      "ballot_count": int,
      "ballots_by_channel": {channel: int},
      "files": {"ballots.pb": 64 hex, "keys.json": 64 hex},   SHA-256 of those attachments
      "merkle_root": 64 hex,          RFC 6962 root over the chain leaves (audits.merkle)
      "chain_head": 64 hex,           head after the last ballot (audits.chain)
      "tally": {...},                 ballots.tally.Tally.as_json(): approvals, points, borda
      "allocation": {project id: exact decimal},   funded projects and their amounts
      "software_version": str,        e.g. "decide 0.1.0"
      "software_commit": str,         the git commit the server ran (40 hex), or "unknown"
      "software_repository": str,     where that commit and the verifier's source are kept
      "verifier_archive_sha256": 64 hex,   SHA-256 of the verifier's source archive
                                      (audits.archive: a reproducible tar of the pure packages)
      "server_public_key": 64 hex,    Ed25519 receipt-signing key (audits.receipts)
      "threshold": int,               k: signatures needed to publish
      "threshold_reason": str,        why one signature is enough ("" when k >= 2)
      "rule_at_voting": str,          the rule fixed when voting opened
      "rule_change_reason": str,      the public reason for confirming another rule ("" if none)
      "rule_words": str,              the confirmed rule in words (audits.words.rule_words)
      "tie_break_words": str,         the tie-break in words (audits.words.tie_break_words)
      "add1": null | {"k": int, "step": exact, "budget_per_voter": exact},
                                      equal shares: Add1's final k, its step (one minor unit)
                                      and the final per-voter budget B/n + k*step
      "area_deciles": {area: int},    each area's deprivation decile (1 = most deprived)
      "publication_date": "YYYY-MM-DD",   the date of the first edition (the PDF's creation date)
      "rendering": {"layout": str, "fonts": {file name: 64 hex}}
                                      what the printed pages are rendered with (audits.pdf)
    }

Exact decimals are strings such as ``"125000"`` or ``"2572946.76"`` (no exponent); a value
with no finite decimal expansion is written as ``"n/d"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from audits.canonical import CanonicalJSONError, canonical_json, parse_canonical, sha256
from ballots.pabulib import format_decimal

__all__ = ["MANIFEST_TYPE", "Manifest", "ManifestProject", "exact", "parse_exact"]

MANIFEST_TYPE = "decide-manifest/v1"


def exact(value: Fraction | int | str) -> str:
    """Return a money amount as an exact string: shortest decimal, else ``n/d``."""
    q = Fraction(value)
    try:
        return format_decimal(q)
    except ValueError:
        return f"{q.numerator}/{q.denominator}"


def parse_exact(text: Any) -> Fraction:
    """Return the Fraction an exact string holds, or raise ValueError."""
    if not isinstance(text, str) or not text or any(c in text for c in "eE_ "):
        raise ValueError(f"not an exact amount: {text!r}")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"not an exact amount: {text!r}") from exc


@dataclass(frozen=True)
class ManifestProject:
    """A project as the manifest lists it."""

    id: str
    name: str
    cost: Fraction
    organisation: str = ""
    area: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the project as plain JSON values."""
        return {
            "id": self.id,
            "name": self.name,
            "cost": exact(self.cost),
            "organisation": self.organisation,
            "area": self.area,
        }


def _plain(value: Any) -> Any:
    """Return a deep copy of plain JSON values as ordinary dicts and lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Manifest:
    """A closed round's manifest, built from plain values (see the module docstring)."""

    round_id: str
    title: str
    budget: Fraction
    currency: str
    ballot: Mapping[str, Any]
    rule: str
    rule_parameters: Mapping[str, Any]
    tie_break: Mapping[str, Any]
    projects: tuple[ManifestProject, ...]
    ballot_count: int
    ballots_by_channel: Mapping[str, int]
    files: Mapping[str, str]
    merkle_root: str
    chain_head: str
    tally: Mapping[str, Any]
    allocation: Mapping[str, Fraction]
    software_version: str
    server_public_key: str
    threshold: int
    extra: Mapping[str, Any] = field(default_factory=dict)
    software_commit: str = "unknown"
    software_repository: str = ""
    verifier_archive_sha256: str = ""
    threshold_reason: str = ""
    rule_at_voting: str = ""
    rule_change_reason: str = ""
    rule_words: str = ""
    tie_break_words: str = ""
    add1: Mapping[str, Any] | None = None
    area_deciles: Mapping[str, int] = field(default_factory=dict)
    publication_date: str = ""
    rendering: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the manifest as plain JSON values."""
        out = {
            "type": MANIFEST_TYPE,
            "round": self.round_id,
            "title": self.title,
            "budget": exact(self.budget),
            "currency": self.currency,
            "ballot": _plain(self.ballot),
            "rule": self.rule,
            "rule_parameters": _plain(self.rule_parameters),
            "tie_break": _plain(self.tie_break),
            "projects": [p.to_dict() for p in self.projects],
            "ballot_count": self.ballot_count,
            "ballots_by_channel": dict(self.ballots_by_channel),
            "files": dict(self.files),
            "merkle_root": self.merkle_root,
            "chain_head": self.chain_head,
            "tally": _plain(self.tally),
            "allocation": {k: exact(v) for k, v in self.allocation.items()},
            "software_version": self.software_version,
            "server_public_key": self.server_public_key,
            "threshold": self.threshold,
            "software_commit": self.software_commit,
            "software_repository": self.software_repository,
            "verifier_archive_sha256": self.verifier_archive_sha256,
            "threshold_reason": self.threshold_reason,
            "rule_at_voting": self.rule_at_voting or self.rule,
            "rule_change_reason": self.rule_change_reason,
            "rule_words": self.rule_words,
            "tie_break_words": self.tie_break_words,
            "add1": None if self.add1 is None else _plain(self.add1),
            "area_deciles": dict(self.area_deciles),
            "publication_date": self.publication_date,
            "rendering": _plain(self.rendering),
        }
        clash = set(self.extra) & set(out)
        if clash:
            raise ValueError(f"extra manifest fields clash with standard ones: {sorted(clash)}")
        out.update(_plain(self.extra))
        return out

    def to_json_bytes(self) -> bytes:
        """Return manifest.json: the canonical JSON bytes."""
        return canonical_json(self.to_dict())

    def digest(self) -> bytes:
        """Return the 32-byte SHA-256 of manifest.json (what the panel signs)."""
        return sha256(self.to_json_bytes())

    def digest_hex(self) -> str:
        """Return the manifest digest as 64 lowercase hex characters."""
        return self.digest().hex()

    def project(self, project_id: str) -> ManifestProject:
        """Return the listed project with this id, or raise KeyError."""
        for p in self.projects:
            if p.id == project_id:
                return p
        raise KeyError(project_id)

    @classmethod
    def from_json_bytes(cls, data: bytes) -> Manifest:
        """Parse manifest.json (it must be canonical), or raise ValueError saying why."""
        try:
            obj = parse_canonical(data)
        except CanonicalJSONError as exc:
            raise ValueError(f"manifest.json: {exc}") from exc
        return cls.from_dict(obj)

    @classmethod
    def from_dict(cls, obj: Any) -> Manifest:
        """Build a manifest from its JSON object, or raise ValueError naming the bad field."""
        if not isinstance(obj, dict) or obj.get("type") != MANIFEST_TYPE:
            raise ValueError(f"manifest.json: type must be {MANIFEST_TYPE!r}")
        standard = {
            "type",
            "round",
            "title",
            "budget",
            "currency",
            "ballot",
            "rule",
            "rule_parameters",
            "tie_break",
            "projects",
            "ballot_count",
            "ballots_by_channel",
            "files",
            "merkle_root",
            "chain_head",
            "tally",
            "allocation",
            "software_version",
            "server_public_key",
            "threshold",
            "software_commit",
            "software_repository",
            "verifier_archive_sha256",
            "threshold_reason",
            "rule_at_voting",
            "rule_change_reason",
            "rule_words",
            "tie_break_words",
            "add1",
            "area_deciles",
            "publication_date",
            "rendering",
        }
        missing = standard - set(obj)
        if missing:
            raise ValueError(f"manifest.json lacks {sorted(missing)}")

        def typed(name: str, kind: type | tuple[type, ...]) -> Any:
            value = obj[name]
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
                raise ValueError(f"manifest.json: {name!r} has the wrong type")
            return value

        try:
            projects = tuple(
                ManifestProject(
                    p["id"], p["name"], parse_exact(p["cost"]), p["organisation"], p["area"]
                )
                for p in typed("projects", list)
            )
            for p in projects:
                if not all(isinstance(x, str) for x in (p.id, p.name, p.organisation, p.area)):
                    raise ValueError("manifest.json: project fields must be strings")
            tally = typed("tally", dict)
            add1 = obj["add1"]
            if add1 is not None and not isinstance(add1, dict):
                raise ValueError("manifest.json: 'add1' must be an object or null")
            deciles = typed("area_deciles", dict)
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in deciles.values()):
                raise ValueError("manifest.json: area deciles must be integers")
            return cls(
                round_id=typed("round", str),
                title=typed("title", str),
                budget=parse_exact(obj["budget"]),
                currency=typed("currency", str),
                ballot=typed("ballot", dict),
                rule=typed("rule", str),
                rule_parameters=typed("rule_parameters", dict),
                tie_break=typed("tie_break", dict),
                projects=projects,
                ballot_count=typed("ballot_count", int),
                ballots_by_channel=typed("ballots_by_channel", dict),
                files=typed("files", dict),
                merkle_root=typed("merkle_root", str),
                chain_head=typed("chain_head", str),
                tally=tally,
                allocation={k: parse_exact(v) for k, v in typed("allocation", dict).items()},
                software_version=typed("software_version", str),
                server_public_key=typed("server_public_key", str),
                threshold=typed("threshold", int),
                extra={k: v for k, v in obj.items() if k not in standard},
                software_commit=typed("software_commit", str),
                software_repository=typed("software_repository", str),
                verifier_archive_sha256=typed("verifier_archive_sha256", str),
                threshold_reason=typed("threshold_reason", str),
                rule_at_voting=typed("rule_at_voting", str),
                rule_change_reason=typed("rule_change_reason", str),
                rule_words=typed("rule_words", str),
                tie_break_words=typed("tie_break_words", str),
                add1=add1,
                area_deciles=deciles,
                publication_date=typed("publication_date", str),
                rendering=typed("rendering", dict),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"manifest.json: malformed field ({exc})") from exc

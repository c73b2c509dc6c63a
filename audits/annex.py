"""delivery.json: the figures of the PDF tally's delivery annex (issue 16).

An optional attachment of a published round's PDF, written with each edition from the
learning dashboard's figures for that round. The verifier re-renders the annex pages from it,
like every other page, so the printed charts and tables are exactly what the file says.
Its money and coverage are checked against the manifest, ledger and ballots; the whole file
is co-signed by the panel through the ledger checkpoint before the edition, which states its
SHA-256 (`audits.ledger.Checkpoint.annex`), so an edition carries an annex only after one.
Canonical JSON of one object (amounts are exact strings, as in the manifest):

    {"type": "decide-delivery-annex/v1", "currency": "GBP",
     "coverage": {"voters": int, "covered": int},
     "deciles": [{"decile": int, "population": int, "allocated": exact, "paid": int}, ...],
     "turnout": [{"area": str, "decile": int, "population": int, "voters": int}, ...],
     "milestones": [{"status": str, "count": int}, ...],
     "impact": [{"measure": str, "unit": str, "aggregation": "sum" | "mean" | "latest",
                 "total": exact, "figures": int, "projects": int}, ...]}

An impact total combines a measure's figures as its aggregation says: every figure added
(sum), their mean (mean, of "figures" figures), or each project's latest figure per
breakdown added up (latest, running totals). An annex written before aggregations existed
has none: its totals are sums.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from audits.canonical import canonical_json, parse_json
from audits.ledger import SignedCheckpoint
from audits.manifest import Manifest, exact, parse_exact
from ballots.model import Ballot

__all__ = [
    "AGGREGATIONS",
    "ANNEX_NAME",
    "ANNEX_TYPE",
    "DecileLine",
    "DeliveryAnnex",
    "ImpactLine",
    "TurnoutLine",
    "consistency_problems",
    "cosigned_problems",
    "decile_money",
]

ANNEX_NAME = "delivery.json"
ANNEX_TYPE = "decide-delivery-annex/v1"
AGGREGATIONS = ("sum", "mean", "latest")


@dataclass(frozen=True)
class DecileLine:
    """Money allocated and paid to projects in one deprivation decile's areas."""

    decile: int
    population: int
    allocated: Fraction
    paid: int


@dataclass(frozen=True)
class TurnoutLine:
    """An area's voters (account voters placed by postcode) and residents."""

    area: str
    decile: int
    population: int
    voters: int


@dataclass(frozen=True)
class ImpactLine:
    """One measure's total, combined as its aggregation says, with how many figures went in."""

    measure: str
    unit: str
    aggregation: str
    total: Fraction
    figures: int
    projects: int

    def to_dict(self) -> dict[str, Any]:
        """Return the line as plain JSON values."""
        return {
            "measure": self.measure,
            "unit": self.unit,
            "aggregation": self.aggregation,
            "total": exact(self.total),
            "figures": self.figures,
            "projects": self.projects,
        }

    @classmethod
    def from_dict(cls, obj: Any) -> ImpactLine:
        """Read a line (one without an aggregation, from before they existed, is a sum)."""
        aggregation = str(obj.get("aggregation", "sum"))
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"delivery.json: unknown aggregation {aggregation!r}")
        return cls(
            str(obj["measure"]),
            str(obj["unit"]),
            aggregation,
            parse_exact(obj["total"]),
            int(obj.get("figures", 0)),
            int(obj.get("projects", 0)),
        )


@dataclass(frozen=True)
class DeliveryAnnex:
    """What the delivery annex prints."""

    currency: str
    voters: int
    covered: int
    deciles: tuple[DecileLine, ...]
    turnout: tuple[TurnoutLine, ...]
    milestones: tuple[tuple[str, int], ...]
    impact: tuple[ImpactLine, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the annex as the plain values of its JSON form."""
        return {
            "type": ANNEX_TYPE,
            "currency": self.currency,
            "coverage": {"voters": self.voters, "covered": self.covered},
            "deciles": [
                {
                    "decile": d.decile,
                    "population": d.population,
                    "allocated": exact(d.allocated),
                    "paid": d.paid,
                }
                for d in self.deciles
            ],
            "turnout": [
                {"area": t.area, "decile": t.decile, "population": t.population, "voters": t.voters}
                for t in self.turnout
            ],
            "milestones": [{"status": s, "count": n} for s, n in self.milestones],
            "impact": [line.to_dict() for line in self.impact],
        }

    def to_json_bytes(self) -> bytes:
        """Return the canonical JSON bytes of the annex."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_json_bytes(cls, data: bytes) -> DeliveryAnnex:
        """Read an annex; raise ValueError when it is not one."""
        try:
            obj = parse_json(data)
            if obj.get("type") != ANNEX_TYPE:
                raise ValueError(f"delivery.json is not a {ANNEX_TYPE} document")
            return cls(
                currency=str(obj["currency"]),
                voters=int(obj["coverage"]["voters"]),
                covered=int(obj["coverage"]["covered"]),
                deciles=tuple(
                    DecileLine(
                        int(d["decile"]),
                        int(d["population"]),
                        parse_exact(d["allocated"]),
                        int(d["paid"]),
                    )
                    for d in obj["deciles"]
                ),
                turnout=tuple(
                    TurnoutLine(
                        str(t["area"]), int(t["decile"]), int(t["population"]), int(t["voters"])
                    )
                    for t in obj["turnout"]
                ),
                milestones=tuple((str(m["status"]), int(m["count"])) for m in obj["milestones"]),
                impact=tuple(ImpactLine.from_dict(i) for i in obj["impact"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"delivery.json is malformed: {exc}") from exc


def decile_money(
    manifest: Manifest, paid_by_project: Mapping[str, int]
) -> dict[int, tuple[Fraction, int]]:
    """Return decile -> (allocated, paid), by each project's area and the manifest's deciles."""
    out: dict[int, tuple[Fraction, int]] = {}
    for p in manifest.projects:
        decile = manifest.area_deciles.get(p.area)
        if decile is None:
            continue
        allocated, paid = out.get(decile, (Fraction(0), 0))
        out[decile] = (
            allocated + manifest.allocation.get(p.id, Fraction(0)),
            paid + paid_by_project.get(p.id, 0),
        )
    return out


def cosigned_problems(annex_bytes: bytes, checkpoints: Sequence[SignedCheckpoint]) -> list[str]:
    """Return why the annex is not the one the panel co-signed (empty when it is).

    The figures no signed file states (populations, turnout, milestones, impact) are bound by
    the last co-signed checkpoint of the ledger, which names the SHA-256 of the delivery.json
    the edition after it carries. The checkpoints' signatures are checked with the ledger.
    """
    if not checkpoints or checkpoints[-1].checkpoint.annex is None:
        return [
            "delivery.json is not co-signed: no checkpoint of the ledger states its SHA-256, so "
            "its populations, turnout, milestones and impact could have been changed"
        ]
    if checkpoints[-1].checkpoint.annex != hashlib.sha256(annex_bytes).digest():
        return [
            f"delivery.json is not the annex the panel co-signed in checkpoint {len(checkpoints)}"
            ": a population, turnout, milestone status or impact figure differs from it"
        ]
    return []


def consistency_problems(
    annex: DeliveryAnnex,
    manifest: Manifest,
    paid_by_project: Mapping[str, int],
    ballots: Sequence[Ballot] | None,
) -> list[str]:
    """Return how the annex disagrees with the signed files (empty when it agrees).

    Checked: voters (the manifest's ballot count), voters covered (recounted from ballots.pb),
    and per decile the money allocated (the manifest) and paid (the ledger), by each project's
    area and the manifest's area deciles. Populations, participation, milestones and impact are
    reported figures that no other signed file states: `cosigned_problems` checks them.
    """
    problems = []
    if annex.voters != manifest.ballot_count:
        problems.append("delivery.json states another number of voters than the manifest")
    funded = {pid for pid, amount in manifest.allocation.items() if amount > 0}
    if ballots is not None:
        covered = sum(1 for b in ballots if funded & set(b.projects))
        if covered != annex.covered:
            problems.append(
                f"delivery.json states {annex.covered} voters covered; ballots.pb gives {covered}"
            )
    expected = decile_money(manifest, paid_by_project)
    stated = {d.decile: (d.allocated, d.paid) for d in annex.deciles}
    for decile in sorted(set(expected) | set(stated)):
        allocated, paid = stated.get(decile, (Fraction(0), 0))
        want_allocated, want_paid = expected.get(decile, (Fraction(0), 0))
        if allocated != want_allocated:
            problems.append(f"delivery.json: decile {decile}'s allocation is not the manifest's")
        if paid != want_paid:
            problems.append(f"delivery.json: decile {decile}'s payments are not the ledger's")
    return problems

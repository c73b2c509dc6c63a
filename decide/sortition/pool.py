"""The pool of volunteers, the quotas, and the types that the solvers work on.

A *pool* is a list of people, each with an id and one value per feature. A *quota* bounds how
many panel members have one value of one feature (``feature,value,min,max``, the layout of the
Sortition Foundation's quota files). People whose values agree on every feature that has a
quota are interchangeable for every constraint, so the solvers work on *types*: one feature
vector with the number of people who have it (Flanigan, Gölz, Gupta, Hennig, Procaccia, *Fair
algorithms for selecting citizens' assemblies*, Nature 596, 2021, note that leximin treats such
people alike; we use it to shrink the programs from people to types).

Byte format of the pool's hash: SHA-256 of the canonical JSON (keys sorted, no whitespace,
UTF-8, the same rules as ``audits.canonical``) of the list, in pool order, of objects
``{"features": {FEATURE: VALUE, ...}, "id": ID}``; written as 64 lowercase hex characters.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Person",
    "Pool",
    "PoolError",
    "Quota",
    "QuotaError",
    "TypeTable",
    "canonical_bytes",
    "check_quotas",
    "parse_pool",
    "parse_quotas",
    "pool_hash",
    "type_table",
]


class PoolError(ValueError):
    """The pool cannot be read or used."""


class QuotaError(ValueError):
    """The quotas cannot be read or do not fit the pool."""


@dataclass(frozen=True)
class Person:
    """One volunteer: an id and a value for each feature of the pool."""

    id: str
    features: Mapping[str, str]


@dataclass(frozen=True)
class Pool:
    """The volunteers, in the order given, and the names of their features."""

    people: tuple[Person, ...]
    features: tuple[str, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for person in self.people:
            if person.id in seen:
                raise PoolError(f"The id {person.id!r} appears twice in the pool.")
            seen.add(person.id)
            if set(person.features) != set(self.features):
                raise PoolError(f"Person {person.id!r} does not have a value for every feature.")

    def to_json(self) -> list[dict[str, Any]]:
        """Return the pool as the JSON list its hash is taken over."""
        return [{"features": dict(p.features), "id": p.id} for p in self.people]

    @classmethod
    def from_json(cls, data: Any) -> Pool:
        """Read a pool written by `to_json`."""
        if not isinstance(data, list) or not data:
            raise PoolError("The pool must be a non-empty list of people.")
        people = []
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise PoolError("Each person in the pool needs a string id.")
            feats = item.get("features")
            if not isinstance(feats, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in feats.items()
            ):
                raise PoolError(f"Person {item['id']!r}: features must map names to strings.")
            people.append(Person(item["id"], dict(feats)))
        return cls(tuple(people), tuple(sorted(people[0].features)))


@dataclass(frozen=True)
class Quota:
    """Between `min` and `max` panel members (inclusive) have `value` for `feature`."""

    feature: str
    value: str
    min: int
    max: int

    def to_json(self) -> dict[str, Any]:
        """Return the quota as a JSON object."""
        return {"feature": self.feature, "value": self.value, "min": self.min, "max": self.max}

    @property
    def label(self) -> str:
        """Return the quota's feature and value for messages, like ``gender = female``."""
        return f"{self.feature} = {self.value}"


@dataclass(frozen=True)
class TypeTable:
    """People grouped by their values on the quota features.

    `vectors[t]` is type t's value for each feature in `features`; `members[t]` its people's
    ids in pool order; `counts[t]` how many. `coverage[q]` lists the types that quota q counts.
    """

    features: tuple[str, ...]
    vectors: tuple[tuple[str, ...], ...]
    members: tuple[tuple[str, ...], ...]
    coverage: tuple[tuple[int, ...], ...]

    @property
    def counts(self) -> tuple[int, ...]:
        """Return the number of people of each type."""
        return tuple(len(m) for m in self.members)

    def type_of(self) -> dict[str, int]:
        """Return each person's type index."""
        return {pid: t for t, ids in enumerate(self.members) for pid in ids}


def canonical_bytes(obj: Any) -> bytes:
    """Return canonical JSON bytes (sorted keys, no whitespace, UTF-8; no floats)."""

    def check(value: Any) -> None:
        if isinstance(value, float):
            raise ValueError("floats are not written in canonical JSON; use a decimal string")
        if isinstance(value, dict):
            for item in value.values():
                check(item)
        elif isinstance(value, list | tuple):
            for item in value:
                check(item)

    check(obj)
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def pool_hash(pool: Pool) -> str:
    """Return the SHA-256 (hex) of the pool's canonical JSON."""
    return hashlib.sha256(canonical_bytes(pool.to_json())).hexdigest()


def _rows(text: str, what: str) -> tuple[list[str], list[list[str]]]:
    """Return the header and the non-empty rows of CSV `text`, cells stripped."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = [[cell.strip() for cell in row] for row in reader if any(c.strip() for c in row)]
    if not rows:
        raise (PoolError if what == "pool" else QuotaError)(f"The {what} file is empty.")
    return rows[0], rows[1:]


def parse_pool(text: str) -> Pool:
    """Read POOL.csv: a column ``id`` and one column per feature."""
    header, rows = _rows(text, "pool")
    if "id" not in header:
        raise PoolError("The pool file needs a column named id.")
    if len(set(header)) != len(header) or "" in header:
        raise PoolError("The pool file's columns must have distinct, non-empty names.")
    features = tuple(h for h in header if h != "id")
    if not features:
        raise PoolError("The pool file has no feature columns besides id.")
    people = []
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise PoolError(f"Line {n} of the pool file has {len(row)} cells, not {len(header)}.")
        cells = dict(zip(header, row))
        if not cells["id"]:
            raise PoolError(f"Line {n} of the pool file has no id.")
        people.append(Person(cells["id"], {f: cells[f] for f in features}))
    if not people:
        raise PoolError("The pool file lists nobody.")
    return Pool(tuple(people), features)


def _count(cell: str, name: str, n: int) -> int:
    if not cell.isdigit():
        raise QuotaError(f"Line {n} of the quota file: {name} must be a whole number ≥ 0.")
    return int(cell)


def parse_quotas(text: str) -> tuple[Quota, ...]:
    """Read QUOTAS.csv: columns ``feature,value,min,max``."""
    header, rows = _rows(text, "quota")
    need = ["feature", "value", "min", "max"]
    if any(h not in header for h in need):
        raise QuotaError("The quota file needs the columns feature,value,min,max.")
    out = []
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise QuotaError(f"Line {n} of the quota file has {len(row)} cells.")
        cells = dict(zip(header, row))
        low, high = _count(cells["min"], "min", n), _count(cells["max"], "max", n)
        out.append(Quota(cells["feature"], cells["value"], low, high))
    return tuple(out)


def check_quotas(pool: Pool, quotas: Sequence[Quota], size: int) -> None:
    """Refuse quotas that are malformed for this pool (not merely infeasible)."""
    if size < 1:
        raise QuotaError("The panel needs at least one member.")
    if not quotas:
        raise QuotaError("There are no quotas.")
    seen: set[tuple[str, str]] = set()
    for q in quotas:
        if q.feature not in pool.features:
            raise QuotaError(f"The quota on {q.label} names a feature the pool does not have.")
        if (q.feature, q.value) in seen:
            raise QuotaError(f"There are two quotas on {q.label}.")
        seen.add((q.feature, q.value))
        if q.min > q.max:
            raise QuotaError(f"The quota on {q.label} has min {q.min} above max {q.max}.")
    for person in pool.people:
        for feature in {q.feature for q in quotas}:
            if (feature, person.features[feature]) not in seen:
                raise QuotaError(
                    f"Person {person.id!r} has {feature} = {person.features[feature]}, which "
                    f"has no quota; add a row for it (min 0, max {size} leaves it free)."
                )


def type_table(pool: Pool, quotas: Iterable[Quota]) -> TypeTable:
    """Group the pool's people into types by their values on the quota features."""
    quotas = tuple(quotas)
    features = tuple(sorted({q.feature for q in quotas}))
    groups: dict[tuple[str, ...], list[str]] = {}
    for person in pool.people:
        groups.setdefault(tuple(person.features[f] for f in features), []).append(person.id)
    vectors = tuple(sorted(groups))
    index = {f: i for i, f in enumerate(features)}
    coverage = tuple(
        tuple(t for t, vec in enumerate(vectors) if vec[index[q.feature]] == q.value)
        for q in quotas
    )
    return TypeTable(features, vectors, tuple(tuple(groups[v]) for v in vectors), coverage)

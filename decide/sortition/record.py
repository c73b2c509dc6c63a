"""The sortition record: what is published, how the draw is made, and how anyone checks it.

The record is one JSON object, published as canonical JSON (`canonical_bytes`):

- ``format``: ``"decide/sortition-record/v1"``; ``method``: ``"leximin"`` or ``"maximin"``;
- ``pool`` (ids and features, in pool order) and ``pool_hash`` (see `decide.sortition.pool`);
- ``panel_size`` and ``quotas`` (``feature``, ``value``, ``min``, ``max``);
- ``probabilities``: id → the leximin probability as a decimal string with 9 places
  (computed in floating point: see README for the tolerance), and ``min_probability``;
- ``panels``: the m panels of the lottery (lists of ids in pool order), ``panels_hash``
  (SHA-256 hex of the canonical JSON of ``panels``, to announce before the seed),
  ``panel_probabilities`` (each ``1/m`` as an exact decimal or fraction string),
  ``lottery_probabilities`` (id → seats/m, exact), ``max_deviation`` (largest
  |seats/m − probability|, 9 places) and ``within_one_over_m``;
- ``nonce_hash`` (hex SHA-256 of the server's secret 32-byte nonce, published with the
  panels, before any seed) and ``nonce`` (the nonce in hex, revealed at the draw; null
  before, and null in both when no nonce is used, as by ``decide sortition select --seed``);
- ``seed`` (the text announced before the draw, or null), ``draw_index`` and ``selected``;
- ``replacements``: one entry per round of replacements for people who dropped out, and
  ``next_nonce_hash``: the commitment to the nonce of the next round of replacements.

Commit-reveal: the draw does not use the seed alone but the *mixed seed*
``hex(SHA-256(b"decide/sortition/seed/v1\\x00" || utf8(seed) || b"\\x00" || nonce))`` (nonce:
the 32 raw bytes), or the seed itself when the record has no nonce. A facilitator who chooses
the seed cannot tell which panel it draws without the nonce, so cannot grind seeds.

The draw: ``draw_index = int(SHA-256(b"decide/sortition/draw/v1\\x00" || utf8(mixed seed)))
mod m + 1`` (the digest read as a big-endian unsigned integer); the panel drawn is
``panels[draw_index − 1]``. The bias of the modulo is below m / 2^256.

Each round of replacements has its own announced ``seed`` (with ``seed_announced_at``) and
its own nonce (``nonce_hash`` committed before the seed, ``nonce`` revealed), mixed the same
way; "seed" below means that round's mixed seed.

Replacements come from the lottery's conditional distribution given who stays: the candidate
panels are the lottery's panels (in order, repeats counted) whose type counts include those of
the members who stay and can be completed from the people still available (never drawn, never
dropped out). One is chosen by ``int(SHA-256(b"decide/sortition/replace/v1\\x00" ||
utf8(seed))) mod (number of candidates)``, its extra seats say how many of each type to add,
and within a type the people still available are taken in the order of
``SHA-256(b"decide/sortition/person/v1\\x00" || utf8(seed) || b"\\x00" || utf8(id))``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from decide.sortition.leximin import Distribution
from decide.sortition.lottery import Lottery
from decide.sortition.pool import (
    Pool,
    PoolError,
    Quota,
    QuotaError,
    canonical_bytes,
    pool_hash,
    type_table,
)

__all__ = [
    "FORMAT",
    "ReplacementImpossible",
    "build_record",
    "decimal_text",
    "draw",
    "draw_index",
    "mixed_seed",
    "nonce_hash",
    "probability_text",
    "read_pool_quotas",
    "record_bytes",
    "replace_dropouts",
]

FORMAT = "decide/sortition-record/v1"


class ReplacementImpossible(ValueError):
    """No panel of the lottery can be completed after these dropouts."""


def _hash_int(tag: bytes, *parts: str) -> int:
    data = tag + b"\x00".join(p.encode("utf-8") for p in parts)
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def nonce_hash(nonce: str) -> str:
    """Return the hex SHA-256 of a nonce given in hex (its published commitment)."""
    return hashlib.sha256(bytes.fromhex(nonce)).hexdigest()


def mixed_seed(seed: str, nonce: str | None) -> str:
    """Return the seed the draw uses: `seed` mixed with the nonce (hex), or `seed` alone."""
    if nonce is None:
        return seed
    data = b"decide/sortition/seed/v1\x00" + seed.encode("utf-8") + b"\x00" + bytes.fromhex(nonce)
    return hashlib.sha256(data).hexdigest()


def draw(record: Mapping[str, Any], seed: str, nonce: str | None) -> dict[str, Any]:
    """Return the record with the panel drawn by `seed` and the revealed `nonce`."""
    committed = record.get("nonce_hash")
    if (committed is None) != (nonce is None) or (
        nonce is not None and nonce_hash(nonce) != committed
    ):
        raise ValueError("The nonce does not match the one committed in the record.")
    index = draw_index(mixed_seed(seed, nonce), len(record["panels"]))
    return {
        **record,
        "seed": seed,
        "nonce": nonce,
        "draw_index": index,
        "selected": list(record["panels"][index - 1]),
    }


def draw_index(seed: str, m: int) -> int:
    """Return the 1-based index of the panel drawn with `seed` from a lottery of `m` panels."""
    return _hash_int(b"decide/sortition/draw/v1\x00", seed) % m + 1


def probability_text(p: float) -> str:
    """Return a probability computed in floating point as a decimal string, 9 places."""
    return f"{min(1.0, max(0.0, p)):.9f}"


def decimal_text(value: Fraction) -> str:
    """Return an exact decimal string for `value` when it has one, else ``a/b``."""
    den = value.denominator
    places = 0
    while den % 10 == 0 or den % 2 == 0 or den % 5 == 0:
        if den % 10 == 0:
            den //= 10
        elif den % 2 == 0:
            den //= 2
        else:
            den //= 5
        places += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    scaled = value * 10**places
    assert scaled.denominator == 1
    text = str(abs(scaled.numerator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return sign + (text[:-places] + "." + text[-places:] if places else text)


def panels_hash(panels: Sequence[Sequence[str]]) -> str:
    """Return the SHA-256 (hex) of the canonical JSON of the lottery's panels."""
    return hashlib.sha256(canonical_bytes([list(p) for p in panels])).hexdigest()


def _deviation(probabilities: Mapping[str, float], marginals: Mapping[str, Fraction]) -> float:
    return max(
        (abs(float(marginals.get(pid, Fraction(0))) - p) for pid, p in probabilities.items()),
        default=0.0,
    )


def build_record(
    pool: Pool,
    quotas: Sequence[Quota],
    dist: Distribution,
    lottery: Lottery,
    seed: str | None,
    nonce_hash: str | None = None,
) -> dict[str, Any]:
    """Return the record of a selection (see the module docstring).

    With `nonce_hash`, the record commits to a nonce and no seed may be given yet.
    """
    probs = dist.probabilities()
    marginals = lottery.marginals()
    m = lottery.m
    record: dict[str, Any] = {
        "format": FORMAT,
        "method": dist.method,
        "pool": pool.to_json(),
        "pool_hash": pool_hash(pool),
        "panel_size": dist.size,
        "quotas": [q.to_json() for q in quotas],
        "probabilities": {p.id: probability_text(probs[p.id]) for p in pool.people},
        "min_probability": probability_text(min(probs.values())),
        "panels": [list(p) for p in lottery.panels],
        "panels_hash": panels_hash(lottery.panels),
        "panel_probabilities": [decimal_text(Fraction(1, m))] * m,
        "lottery_probabilities": {
            p.id: decimal_text(marginals.get(p.id, Fraction(0))) for p in pool.people
        },
        # From the probabilities as written (9 places), as `verify_record` recomputes it.
        "max_deviation": probability_text(
            _deviation({pid: float(probability_text(p)) for pid, p in probs.items()}, marginals)
        ),
        "within_one_over_m": lottery.within_one_over_m,
        "nonce_hash": nonce_hash,
        "nonce": None,
        "seed": seed,
        "draw_index": None,
        "selected": [],
        "replacements": [],
    }
    if seed is not None and nonce_hash is None:
        index = draw_index(seed, m)
        record["draw_index"] = index
        record["selected"] = list(lottery.panels[index - 1])
    return record


def record_bytes(record: Mapping[str, Any]) -> bytes:
    """Return the canonical bytes of a record (what is published and hashed)."""
    return canonical_bytes(dict(record))


def _current_panel(record: Mapping[str, Any]) -> list[str]:
    if record["replacements"]:
        return list(record["replacements"][-1]["panel_after"])
    return list(record["selected"])


def _check_dropouts(current: Sequence[str], dropouts: Sequence[str]) -> None:
    """Raise `ReplacementImpossible` unless `dropouts` are distinct members of `current`."""
    if not current:
        raise ReplacementImpossible("No panel has been drawn yet.")
    missing = [d for d in dropouts if d not in current]
    if missing or not dropouts or len(set(dropouts)) != len(dropouts):
        raise ReplacementImpossible(
            f"Dropouts must be distinct members of the current panel (not: {missing})."
        )


def _candidates(
    panels: Sequence[Sequence[str]],
    type_of: Mapping[str, int],
    have: Counter[int],
    available: Mapping[int, Sequence[str]],
) -> list[tuple[int, dict[int, int]]]:
    """Return the panels (1-based index, extra seats per type) that can be completed."""
    n = len(available)
    candidates = []
    for j, panel in enumerate(panels, start=1):
        shape = Counter(type_of[pid] for pid in panel)
        extra = {t: shape[t] - have[t] for t in range(n)}
        if all(0 <= extra[t] <= len(available[t]) for t in range(n)):
            candidates.append((j, extra))
    return candidates


def _take(available: Mapping[int, Sequence[str]], extra: Mapping[int, int], seed: str) -> list[str]:
    """Pick `extra[t]` people of each type t from those available, in the seed's order."""
    added: list[str] = []
    for t in range(len(available)):
        if extra[t]:
            order = sorted(
                available[t],
                key=lambda pid: (_hash_int(b"decide/sortition/person/v1\x00", seed, pid), pid),
            )
            added.extend(order[: extra[t]])
    return added


def _replacement(
    record: Mapping[str, Any],
    pool: Pool,
    quotas: Sequence[Quota],
    dropouts: Sequence[str],
    announced: Mapping[str, Any],
) -> dict[str, Any]:
    """Compute one round of replacements (pure; `replace_dropouts` and `verify_record` share it).

    `announced` holds the round's ``seed`` and, when it has them, ``seed_announced_at``,
    ``nonce_hash`` and ``nonce``.
    """
    nonce = announced.get("nonce")
    if nonce is not None and nonce_hash(nonce) != announced.get("nonce_hash"):
        raise ReplacementImpossible("The nonce does not match the one committed.")
    seed = mixed_seed(announced["seed"], nonce)
    current = _current_panel(record)
    _check_dropouts(current, dropouts)
    table = type_table(pool, quotas)
    type_of = table.type_of()
    n = len(table.members)
    gone = set(current) | {d for r in record["replacements"] for d in r["dropouts"]}
    gone |= set(dropouts)
    stay = [pid for pid in current if pid not in set(dropouts)]
    have = Counter(type_of[pid] for pid in stay)
    available = {t: [pid for pid in table.members[t] if pid not in gone] for t in range(n)}
    candidates = _candidates(record["panels"], type_of, have, available)
    if not candidates:
        raise ReplacementImpossible(
            "No panel of the lottery contains the members who stay and can be completed from "
            "the people still available."
        )
    chosen, extra = candidates[
        _hash_int(b"decide/sortition/replace/v1\x00", seed) % len(candidates)
    ]
    added = _take(available, extra, seed)
    position = {p.id: i for i, p in enumerate(pool.people)}
    return {
        **{k: announced.get(k) for k in ("seed", "seed_announced_at", "nonce_hash", "nonce")},
        "dropouts": list(dropouts),
        "candidates": len(candidates),
        "chosen_panel": chosen,
        "replacements": sorted(added, key=position.__getitem__),
        "panel_after": sorted(stay + added, key=position.__getitem__),
    }


def replace_dropouts(
    record: Mapping[str, Any],
    dropouts: Sequence[str],
    seed: str,
    *,
    nonce: str | None = None,
    seed_announced_at: str | None = None,
) -> dict[str, Any]:
    """Return the record with one more round of replacements for `dropouts`, drawn by `seed`.

    With `nonce` (hex), the record's ``next_nonce_hash`` must commit to it; it is then
    cleared, since the nonce is revealed.
    """
    committed = record.get("next_nonce_hash")
    if (committed is None) != (nonce is None) or (
        nonce is not None and nonce_hash(nonce) != committed
    ):
        raise ReplacementImpossible("The nonce does not match the one committed in the record.")
    pool, quotas = read_pool_quotas(record)
    announced = {
        "seed": seed,
        "seed_announced_at": seed_announced_at,
        "nonce_hash": committed,
        "nonce": nonce,
    }
    entry = _replacement(record, pool, quotas, dropouts, announced)
    out = dict(record)
    out["replacements"] = [*record["replacements"], entry]
    if nonce is not None:
        # The nonce is revealed: it commits to nothing any more (the site commits a new one).
        out["next_nonce_hash"] = None
    return out


def read_pool_quotas(record: Mapping[str, Any]) -> tuple[Pool, tuple[Quota, ...]]:
    """Read the record's pool and quotas, raising when a quota names an unknown feature."""
    pool = Pool.from_json(record["pool"])
    quotas = _quotas(record["quotas"])
    features = set(pool.features)
    for person in pool.people:
        if set(person.features) != features:
            raise PoolError(f"Person {person.id!r} does not have the pool's features.")
    unknown = sorted({q.feature for q in quotas} - features)
    if unknown:
        raise QuotaError(f"the quotas name features the pool does not have: {', '.join(unknown)}")
    return pool, quotas


def _quotas(data: Any) -> tuple[Quota, ...]:
    if not isinstance(data, list):
        raise QuotaError("quotas must be a list")
    out = []
    for q in data:
        if (
            not isinstance(q, dict)
            or not all(isinstance(q.get(k), str) for k in ("feature", "value"))
            or not all(isinstance(q.get(k), int) for k in ("min", "max"))
        ):
            raise QuotaError("each quota needs feature, value (strings) and min, max (integers)")
        out.append(Quota(q["feature"], q["value"], q["min"], q["max"]))
    return tuple(out)

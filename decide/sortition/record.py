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
from dataclasses import dataclass
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
    "Check",
    "ReplacementImpossible",
    "build_record",
    "decimal_text",
    "draw",
    "draw_index",
    "mixed_seed",
    "nonce_hash",
    "probability_text",
    "record_bytes",
    "replace_dropouts",
    "verify_record",
]

FORMAT = "decide/sortition-record/v1"


class ReplacementImpossible(ValueError):
    """No panel of the lottery can be completed after these dropouts."""


@dataclass(frozen=True)
class Check:
    """One numbered check of `verify_record`."""

    name: str
    ok: bool
    detail: str


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

    With `nonce` (hex), the record's ``next_nonce_hash`` must commit to it.
    """
    committed = record.get("next_nonce_hash")
    if (committed is None) != (nonce is None) or (
        nonce is not None and nonce_hash(nonce) != committed
    ):
        raise ReplacementImpossible("The nonce does not match the one committed in the record.")
    pool = Pool.from_json(record["pool"])
    quotas = _quotas(record["quotas"])
    features = set(pool.features)
    for person in pool.people:
        if set(person.features) != features:
            raise PoolError(f"Person {person.id!r} does not have the pool's features.")
    unknown = sorted({q.feature for q in quotas} - features)
    if unknown:
        raise QuotaError(f"the quotas name features the pool does not have: {', '.join(unknown)}")
    announced = {
        "seed": seed,
        "seed_announced_at": seed_announced_at,
        "nonce_hash": committed,
        "nonce": nonce,
    }
    entry = _replacement(record, pool, quotas, dropouts, announced)
    out = dict(record)
    out["replacements"] = [*record["replacements"], entry]
    return out


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


def _meets(
    panel: Sequence[str], people: Mapping[str, Mapping[str, str]], quotas: Sequence[Quota]
) -> str | None:
    """Return the first quota that `panel` breaks, in words, or None."""
    for q in quotas:
        have = sum(1 for pid in panel if people[pid][q.feature] == q.value)
        if not q.min <= have <= q.max:
            return f"{have} with {q.label}, outside {q.min}..{q.max}"
    return None


def _read_record(record: Mapping[str, Any]) -> tuple[Pool, tuple[Quota, ...], int, list[Any]]:
    """Read the pool, quotas, panel size and panels, raising when they are malformed."""
    pool = Pool.from_json(record["pool"])
    quotas = _quotas(record["quotas"])
    features = set(pool.features)
    for person in pool.people:
        if set(person.features) != features:
            raise PoolError(f"Person {person.id!r} does not have the pool's features.")
    unknown = sorted({q.feature for q in quotas} - features)
    if unknown:
        raise QuotaError(f"the quotas name features the pool does not have: {', '.join(unknown)}")
    size = record["panel_size"]
    panels = record["panels"]
    if not isinstance(size, int) or not isinstance(panels, list) or not panels:
        raise ValueError("panel_size must be an integer and panels a non-empty list")
    return pool, quotas, size, panels


def _panel_problems(
    panels: Sequence[Any],
    people: Mapping[str, Mapping[str, str]],
    quotas: Sequence[Quota],
    size: int,
) -> list[str]:
    """Return what is wrong with each panel that is not `size` people meeting every quota."""
    bad = []
    for j, panel in enumerate(panels, start=1):
        if not isinstance(panel, list) or not all(isinstance(pid, str) for pid in panel):
            bad.append(f"panel {j} is not a list of ids")
        elif len(set(panel)) != len(panel) or len(panel) != size:
            bad.append(f"panel {j} does not have {size} different people")
        elif any(pid not in people for pid in panel):
            bad.append(f"panel {j} names someone not in the pool")
        elif (broken := _meets(panel, people, quotas)) is not None:
            bad.append(f"panel {j}: {broken}")
    return bad


def _read_probabilities(
    record: Mapping[str, Any], people: Mapping[str, Any]
) -> tuple[dict[str, float], bool]:
    """Read the recorded probabilities; say whether they name everyone and lie in [0, 1]."""
    try:
        probs = {pid: float(record["probabilities"][pid]) for pid in people}
        probs_ok = set(record["probabilities"]) == set(people) and all(
            0 <= p <= 1 for p in probs.values()
        )
    except (KeyError, TypeError, ValueError):
        probs, probs_ok = {}, False
    return probs, probs_ok


def _probability_checks(
    record: Mapping[str, Any],
    people: Mapping[str, Any],
    marginals: Mapping[str, Fraction],
    size: int,
    m: int,
) -> list[Check]:
    """Check the recorded probabilities, their gap to the lottery and their minimum."""
    checks: list[Check] = []
    probs, probs_ok = _read_probabilities(record, people)
    total = sum(probs.values())
    # Written with 9 places each: their sum may be off by n·5e-10 plus the solver's tolerance.
    slack = len(people) * 5e-10 + 1e-6
    checks.append(
        Check(
            "the probabilities sum to the panel size",
            probs_ok and abs(total - size) <= slack,
            f"sum {total:.9f}",
        )
    )
    if probs_ok:
        checks.extend(_closeness_checks(record, people, marginals, m))
    return checks


def _near(stated: Any, value: Fraction) -> bool:
    """Return whether a stated 9-place decimal is `value` up to the float rounding it had."""
    try:
        return abs(Fraction(str(stated)) - value) <= Fraction(2, 10**9)
    except (ValueError, ZeroDivisionError):
        return False


def _closeness_checks(
    record: Mapping[str, Any], people: Mapping[str, Any], marginals: Mapping[str, Fraction], m: int
) -> list[Check]:
    """Check, exactly, each person's lottery chance against the written probability.

    Nothing the record says of itself (``within_one_over_m``, ``max_deviation``) is trusted:
    each person's chance seats/m must lie within 1/m of the probability as written (plus
    1e-8 for the rounding of the written value to 9 places and the solver's tolerance).
    """
    written = {pid: Fraction(str(record["probabilities"][pid]).strip()) for pid in people}
    allowed = Fraction(1, m) + Fraction(1, 10**8)
    gaps = {pid: abs(marginals[pid] - written[pid]) for pid in people}
    far = sorted(pid for pid, gap in gaps.items() if gap > allowed)
    largest = max(gaps.values(), default=Fraction(0))
    smallest_pid = min(people, key=lambda pid: (written[pid], pid))
    smallest = written[smallest_pid]
    return [
        Check(
            "each person's lottery chance is within 1/m of their probability (exact)",
            not far,
            f"largest gap {float(largest):.9f}, 1/m = {float(Fraction(1, m)):.9f}"
            + (f"; too far: {', '.join(far[:5])}" if far else ""),
        ),
        Check(
            "the largest gap the record states",
            _near(record.get("max_deviation"), largest),
            f"recomputed {probability_text(float(largest))}, recorded "
            f"{record.get('max_deviation')}",
        ),
        Check(
            "the smallest probability",
            record.get("min_probability") == probability_text(float(smallest)),
            f"recomputed {probability_text(float(smallest))} ({smallest_pid}), recorded "
            f"{record.get('min_probability')}; smallest lottery chance "
            f"{decimal_text(min(marginals.values()))}",
        ),
    ]


def _lottery_checks(
    record: Mapping[str, Any], panels: Sequence[Any], people: Mapping[str, Any], size: int
) -> list[Check]:
    """Check the panels' hash, the lottery's chances and the recorded probabilities."""
    checks = [
        Check(
            "the panels' hash",
            record.get("panels_hash") == panels_hash(panels),
            f"recomputed {panels_hash(panels)}",
        )
    ]
    m = len(panels)
    seats = Counter(pid for panel in panels for pid in panel)
    marginals = {pid: Fraction(seats[pid], m) for pid in people}
    claimed = record.get("lottery_probabilities", {})
    checks.append(
        Check(
            "each person's chance in the lottery (seats / m)",
            claimed == {pid: decimal_text(v) for pid, v in marginals.items()},
            "",
        )
    )
    checks.append(
        Check(
            "every panel has probability 1/m",
            record.get("panel_probabilities") == [decimal_text(Fraction(1, m))] * m,
            "",
        )
    )
    checks.extend(_probability_checks(record, people, marginals, size, m))
    return checks


def _replacement_checks(
    record: Mapping[str, Any], pool: Pool, quotas: Sequence[Quota]
) -> list[Check]:
    """Replay each round of replacements, stopping at the first that does not match."""
    checks: list[Check] = []
    replay: dict[str, Any] = dict(record, replacements=[])
    for r, entry in enumerate(record.get("replacements") or [], start=1):
        try:
            again = _replacement(replay, pool, quotas, entry["dropouts"], entry)
            ok = again == entry
            detail = f"{len(entry['dropouts'])} left; completed from panel {again['chosen_panel']}"
        except (KeyError, TypeError, ValueError, ReplacementImpossible) as exc:
            ok, detail = False, str(exc)
        checks.append(Check(f"replacement round {r}", ok, detail))
        if not ok:
            break
        replay["replacements"] = [*replay["replacements"], entry]
    return checks


def _draw_checks(
    record: Mapping[str, Any], pool: Pool, quotas: Sequence[Quota], panels: Sequence[Any]
) -> list[Check]:
    """Check the draw from the seed and every round of replacements."""
    seed = record.get("seed")
    if seed is None:
        return [Check("the draw", not record.get("selected"), "no seed yet: nothing drawn")]
    if not isinstance(seed, str):
        return [Check("the draw", False, "the seed must be a string")]
    m = len(panels)
    committed, nonce = record.get("nonce_hash"), record.get("nonce")
    if committed is None and nonce is None:
        how = "no nonce: the seed alone draws"
    else:
        try:
            revealed = isinstance(nonce, str) and nonce_hash(nonce) == committed
        except ValueError:
            revealed = False
        if not revealed:
            return [Check("the nonce revealed is the one committed", False, f"{committed}")]
        how = f"mixed with the nonce committed as {committed}"
    index = draw_index(mixed_seed(seed, nonce), m)
    drawn = Check(
        "the draw from the seed",
        record.get("draw_index") == index and record.get("selected") == panels[index - 1],
        f"seed {seed!r} ({how}) draws panel {index} of {m}",
    )
    return [drawn, *_replacement_checks(record, pool, quotas)]


def verify_record(record: Any) -> list[Check]:
    """Recompute everything the record claims that can be recomputed; return the checks."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return [Check("the record's format", False, f"expected format {FORMAT!r}")]
    try:
        pool, quotas, size, panels = _read_record(record)
    except (KeyError, PoolError, QuotaError, ValueError) as exc:
        return [Check("the record can be read", False, str(exc))]
    read = Check("the record can be read", True, f"{len(pool.people)} people, {len(panels)} panels")
    recomputed = pool_hash(pool)
    checks = [
        read,
        Check(
            "the pool's hash",
            record.get("pool_hash") == recomputed,
            f"recomputed {recomputed}, recorded {record.get('pool_hash')}",
        ),
    ]
    people = {p.id: p.features for p in pool.people}
    bad = _panel_problems(panels, people, quotas, size)
    checks.append(
        Check(
            f"every one of the {len(panels)} panels has {size} people and meets every quota",
            not bad,
            "; ".join(bad[:5]),
        )
    )
    if bad:
        return checks
    checks.extend(_lottery_checks(record, panels, people, size))
    checks.extend(_draw_checks(record, pool, quotas, panels))
    return checks

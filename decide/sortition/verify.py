"""Checking a sortition record: everything it claims that can be recomputed is recomputed.

Nothing the record says of itself is trusted (``within_one_over_m``, ``max_deviation``,
``min_probability``): each person's chance is recomputed exactly from the m panels, every panel
is checked against the quotas, the nonce revealed against its commitment, and the draw and
every replacement are replayed (the format: `decide.sortition.record`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from decide.sortition.pool import Pool, PoolError, Quota, QuotaError, pool_hash
from decide.sortition.record import (
    FORMAT,
    ReplacementImpossible,
    _replacement,
    decimal_text,
    draw_index,
    mixed_seed,
    nonce_hash,
    panels_hash,
    probability_text,
    read_pool_quotas,
)

__all__ = ["Check", "verify_record"]


@dataclass(frozen=True)
class Check:
    """One numbered check of `verify_record`."""

    name: str
    ok: bool
    detail: str


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
    pool, quotas = read_pool_quotas(record)
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

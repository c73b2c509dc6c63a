"""Panel selection by sortition: leximin probabilities, a uniform lottery, a verifiable draw.

Pure: imports pulp, highspy (with its numpy) and the standard library only; no web or database
library (an import-linter contract in `make lint` enforces it).

    pool = parse_pool(text); quotas = parse_quotas(text)
    record = select(pool, quotas, size, method="leximin", panels=1000, seed="…")
    checks = verify_record(record)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from decide.sortition.explain import InfeasibleQuotas, conflicting_bounds, explain_infeasible
from decide.sortition.leximin import METHODS, Distribution, leximin, maximin, select_distribution
from decide.sortition.lottery import Lottery, round_to_lottery
from decide.sortition.pool import (
    Person,
    Pool,
    PoolError,
    Quota,
    QuotaError,
    TypeTable,
    canonical_bytes,
    check_quotas,
    parse_pool,
    parse_quotas,
    pool_hash,
    type_table,
)
from decide.sortition.record import (
    FORMAT,
    ReplacementImpossible,
    build_record,
    decimal_text,
    draw,
    draw_index,
    mixed_seed,
    nonce_hash,
    probability_text,
    record_bytes,
    replace_dropouts,
)
from decide.sortition.verify import Check, verify_record

__all__ = [
    "DEFAULT_PANELS",
    "FORMAT",
    "METHODS",
    "Check",
    "Distribution",
    "InfeasibleQuotas",
    "Lottery",
    "Person",
    "Pool",
    "PoolError",
    "Quota",
    "QuotaError",
    "ReplacementImpossible",
    "TypeTable",
    "build_record",
    "canonical_bytes",
    "check_quotas",
    "conflicting_bounds",
    "decimal_text",
    "draw",
    "draw_index",
    "explain_infeasible",
    "leximin",
    "maximin",
    "mixed_seed",
    "nonce_hash",
    "parse_pool",
    "parse_quotas",
    "pool_hash",
    "probability_text",
    "record_bytes",
    "replace_dropouts",
    "round_to_lottery",
    "select",
    "select_distribution",
    "type_table",
    "verify_record",
]

# Panels in the published lottery unless the caller asks otherwise: chances move by at most
# 1/1000 from the leximin probabilities.
DEFAULT_PANELS = 1000


def select(
    pool: Pool,
    quotas: Sequence[Quota],
    size: int,
    *,
    method: str = "leximin",
    panels: int = DEFAULT_PANELS,
    seed: str | None = None,
) -> dict[str, Any]:
    """Compute the distribution, round it to `panels` panels, draw with `seed`: the record."""
    dist = select_distribution(pool, quotas, size, method=method)
    lottery = round_to_lottery(dist, panels, pool_order=[p.id for p in pool.people])
    return build_record(pool, quotas, dist, lottery, seed)

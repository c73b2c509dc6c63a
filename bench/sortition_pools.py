"""Synthetic volunteer pools with correlated features, for bench/sortition.py.

Each person has a hidden "place" and "age" drawn first; every feature's value is then drawn
from weights that lean on them, so features are correlated the way area, age band, housing
and employment are in a real pool. Quotas are each value's share of the pool times the panel
size, give or take a slack, as practitioners set them.
"""

from __future__ import annotations

import math
import random

FEATURES: dict[str, tuple[str, ...]] = {
    "area": ("north", "south", "east", "west", "centre"),
    "age": ("16-29", "30-44", "45-64", "65+"),
    "gender": ("female", "male", "non-binary"),
    "decile": ("1-2", "3-4", "5-6", "7-8", "9-10"),
    "tenure": ("owner", "social", "private"),
    "work": ("employed", "student", "retired", "other"),
    "partner": ("resident", "asset", "statutory", "researcher"),
}


def synthetic_pool(n: int, n_features: int, seed: int) -> list[dict[str, str]]:
    """Return `n` people with the first `n_features` features of FEATURES, correlated."""
    rng = random.Random(seed)
    names = list(FEATURES)[:n_features]
    people = []
    for i in range(n):
        place = rng.random()
        age = rng.random()
        row = {"id": f"s{i + 1:05d}"}
        for f in names:
            values = FEATURES[f]
            k = len(values)
            if f == "area":
                centre = place * (k - 1)
            elif f in ("age", "work"):
                centre = age * (k - 1)
            elif f in ("decile", "tenure"):
                centre = (0.7 * place + 0.3 * (1 - age)) * (k - 1)
            elif f == "partner":
                centre = 0.0 if rng.random() < 0.6 else rng.random() * (k - 1)
            else:
                centre = rng.random() * (k - 1)
            weights = [math.exp(-((j - centre) ** 2)) + 0.05 for j in range(k)]
            row[f] = rng.choices(values, weights)[0]
        people.append(row)
    return people


def pool_csv(people: list[dict[str, str]]) -> str:
    """Return the pool as POOL.csv text."""
    header = list(people[0])
    return "\n".join([",".join(header)] + [",".join(p[h] for h in header) for p in people]) + "\n"


def proportional_quotas(people: list[dict[str, str]], size: int, slack: float) -> str:
    """Return QUOTAS.csv text: each value's proportional share of `size`, ± `slack` of it (≥1)."""
    rows = ["feature,value,min,max"]
    n = len(people)
    for f in [h for h in people[0] if h != "id"]:
        for v in FEATURES[f]:
            have = sum(1 for p in people if p[f] == v)
            share = have * size / n
            give = max(1.0, slack * share)
            low = max(0, math.floor(share - give))
            high = min(size, have, math.ceil(share + give))
            rows.append(f"{f},{v},{low},{high}")
    return "\n".join(rows) + "\n"

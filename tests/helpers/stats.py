"""Rank statistics for the secrecy tests."""

from __future__ import annotations

import math


def _ranks(values: list[float]) -> list[float]:
    """Each value's rank, from 0; tied values share the mean of the ranks they span."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2
        start = end + 1
    return ranks


def spearman(xs: list[float], ys: list[float]) -> float:
    """Return Spearman's rank correlation: Pearson's correlation of the ranks.

    Ties take the mean of their ranks, so identical ballots (which share one position in the
    plaintext list) count as tied rather than being ordered by some other key: a tie-break by
    casting order would itself correlate with the marks' order and bias rho upwards.
    """
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(rx)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / math.sqrt(vx * vy) if vx and vy else 0.0

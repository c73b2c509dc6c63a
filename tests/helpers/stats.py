"""Rank statistics for the secrecy tests."""

from __future__ import annotations


def spearman(xs: list[float], ys: list[float]) -> float:
    """Return Spearman's rank correlation (no ties in our inputs: positions are distinct)."""
    n = len(xs)
    rx = {v: i for i, v in enumerate(sorted(xs))}
    ry = {v: i for i, v in enumerate(sorted(ys))}
    d2 = sum((rx[x] - ry[y]) ** 2 for x, y in zip(xs, ys, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))

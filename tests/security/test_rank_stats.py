"""The rank correlation the secrecy tests rely on."""

from __future__ import annotations

import random

from tests.helpers.stats import spearman


def test_identical_and_reversed_orders():
    assert spearman([1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]) == 1.0
    assert spearman([1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]) == -1.0


def test_ties_share_their_mean_rank():
    # ranks of ys with ties: [0.5, 0.5, 2.5, 2.5, 4]; Pearson of the ranks, by hand: 0.9487.
    assert round(spearman([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 1.0, 2.0, 2.0, 3.0]), 4) == 0.9487


def test_ties_do_not_bias_independent_orders():
    # Many identical ballots (25 kinds among 300) against a position: centred on zero.
    rng = random.Random(7)
    xs = [float(i) for i in range(300)]
    rhos = [spearman(xs, [float(rng.randrange(25)) for _ in xs]) for _ in range(300)]
    assert abs(sum(rhos) / len(rhos)) < 0.02
    assert max(abs(r) for r in rhos) < 0.25

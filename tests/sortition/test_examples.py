"""The two public examples: leximin reaches 10% for everyone's smallest chance, as published."""

from __future__ import annotations

from collections import Counter

import pytest

from decide.sortition import select, select_distribution, verify_record


def test_fixture_pools_are_as_described(example_small_20, example_large_200):
    kinds = Counter(
        (p.features["gender"], p.features["leaning"]) for p in example_small_20.pool.people
    )
    assert kinds == {
        ("female", "conservative"): 1,
        ("female", "liberal"): 99,
        ("male", "conservative"): 100,
    }
    assert {(q.min, q.max) for q in example_small_20.quotas} == {(9, 20)}
    kinds = Counter(
        (p.features["gender"], p.features["leaning"]) for p in example_large_200.pool.people
    )
    assert kinds == {
        ("female", "conservative"): 1,
        ("female", "liberal"): 999,
        ("male", "conservative"): 1000,
    }
    assert {(q.min, q.max) for q in example_large_200.quotas} == {(99, 200)}
    assert (example_small_20.size, example_large_200.size) == (20, 200)


@pytest.mark.parametrize("name", ["example_small_20", "example_large_200"])
@pytest.mark.parametrize("method", ["leximin", "maximin"])
def test_smallest_probability_is_ten_percent(name, method, request):
    ex = request.getfixturevalue(name)
    dist = select_distribution(ex.pool, ex.quotas, ex.size, method=method)
    assert dist.min_probability == pytest.approx(0.10, abs=1e-6)
    assert sum(dist.probabilities().values()) == pytest.approx(ex.size, abs=1e-6)


def test_leximin_raises_the_others_above_the_minimum(example_small_20):
    """The lone female conservative caps the minimum; leximin then gives the rest 10% too
    only because the quotas force it: 99 female liberals share at least 9 - 1 seats."""
    dist = select_distribution(
        example_small_20.pool, example_small_20.quotas, example_small_20.size
    )
    probs = dist.probabilities()
    assert probs["p0001"] == pytest.approx(0.1, abs=1e-6)
    assert all(p >= 0.1 - 1e-6 for p in probs.values())


def test_large_example_record_verifies(example_large_200):
    ex = example_large_200
    record = select(ex.pool, ex.quotas, ex.size, seed="2 71 82 81 8")
    assert all(c.ok for c in verify_record(record)), verify_record(record)
    assert record["within_one_over_m"] is True
    assert len(record["selected"]) == 200

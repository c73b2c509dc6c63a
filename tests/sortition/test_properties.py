"""Hypothesis: on small pools, our leximin (column generation on types) equals a brute force.

The brute force works on people, not types: it lists every panel that meets the quotas, and
computes leximin with the textbook algorithm: maximise the smallest probability of the people
not yet fixed; then fix exactly those whose probability cannot rise above it (one linear
program each). It shares no code with decide.sortition but the quota files' reader.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction
from unittest.mock import patch

import pulp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decide.sortition import (
    InfeasibleQuotas,
    Person,
    Pool,
    Quota,
    build_record,
    round_to_lottery,
    select_distribution,
    verify_record,
)

TOL = 1e-6


def _feasible_panels(pool: Pool, quotas, size):
    people = [p.id for p in pool.people]
    out = []
    for panel in itertools.combinations(range(len(people)), size):
        ok = all(
            q.min <= sum(1 for i in panel if pool.people[i].features[q.feature] == q.value) <= q.max
            for q in quotas
        )
        if ok:
            out.append(panel)
    return out


def _lp(n, panels, floors, fixed, target=None):
    """Max z (or person `target`'s probability) with unfixed ≥ floors, fixed ≥ fixed values."""
    prob = pulp.LpProblem("bf", pulp.LpMaximize)
    lam = [pulp.LpVariable(f"l{j}", lowBound=0) for j in range(len(panels))]
    z = pulp.LpVariable("z")
    prob += pulp.lpSum(lam) == 1
    pi = [pulp.lpSum(lam[j] for j, p in enumerate(panels) if i in p) for i in range(n)]
    for i in range(n):
        if i in fixed:
            prob += pi[i] >= fixed[i] - 1e-9
        elif target is None:
            prob += pi[i] >= z
        else:
            prob += pi[i] >= floors - 1e-9
    prob += z if target is None else pi[target]
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[prob.status] == "Optimal"
    return pulp.value(prob.objective)


def brute_leximin(n, panels):
    """Return each person's leximin probability (index → float)."""
    fixed: dict[int, float] = {}
    never = [i for i in range(n) if not any(i in p for p in panels)]
    fixed.update({i: 0.0 for i in never})
    while len(fixed) < n:
        z = _lp(n, panels, None, fixed)
        stuck = [
            i for i in range(n) if i not in fixed and _lp(n, panels, z, fixed, target=i) <= z + 1e-7
        ]
        assert stuck, "leximin always fixes someone"
        fixed.update({i: z for i in stuck})
    return fixed


FEATURES = (("gender", ["f", "m"]), ("age", ["young", "mid", "old"]), ("tenure", ["own", "rent"]))


@st.composite
def instances(draw, features=2):
    n = draw(st.integers(2, 7))
    size = draw(st.integers(1, min(4, n)))
    used = FEATURES[:features]
    people = tuple(
        Person(f"v{i}", {f: draw(st.sampled_from(values)) for f, values in used}) for i in range(n)
    )
    pool = Pool(people, tuple(sorted(f for f, _ in used)))
    quotas = []
    for feature, values in used:
        for v in values:
            low = draw(st.integers(0, size // len(values) + 1))
            high = draw(st.one_of(st.just(size), st.integers(low, size)))
            quotas.append(Quota(feature, v, low, high))
    m = draw(st.sampled_from([1, 3, 10, 97, 1000]))
    return pool, tuple(quotas), size, m


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_leximin_matches_brute_force_and_lottery_is_faithful(instance):
    _check_against_brute_force(instance)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(features=3))
def test_three_features_match_brute_force(instance):
    """With three features the relaxation may have fractional corners: the shortcut must then
    give way to column generation, never return the relaxation's levels."""
    _check_against_brute_force(instance)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(features=3))
def test_column_generation_alone_matches_brute_force(instance):
    with patch("decide.sortition.leximin.PARTITION_PANELS", 0):  # no shortcut
        _check_against_brute_force(instance)


def _check_against_brute_force(instance):
    pool, quotas, size, m = instance
    panels = _feasible_panels(pool, quotas, size)
    if not panels:
        try:
            select_distribution(pool, quotas, size)
        except InfeasibleQuotas as exc:
            assert "quota" in str(exc) or "pool has" in str(exc)
        else:
            raise AssertionError("no panel meets the quotas, yet a distribution came back")
        return
    n = len(pool.people)
    expected = brute_leximin(n, panels)
    dist = select_distribution(pool, quotas, size)
    got = dist.probabilities()
    for i, person in enumerate(pool.people):
        assert abs(got[person.id] - expected[i]) <= TOL, (person.id, got, expected)
    assert abs(sum(got.values()) - size) <= TOL
    # Every panel shape the distribution uses meets the quotas (checked on people below).
    lottery = round_to_lottery(dist, m, pool_order=[p.id for p in pool.people])
    assert lottery.m == m
    assert lottery.within_one_over_m
    for panel in lottery.panels:
        assert len(set(panel)) == size
        index = {p.id: p for p in pool.people}
        for q in quotas:
            assert q.min <= sum(index[i].features[q.feature] == q.value for i in panel) <= q.max
    marginals = lottery.marginals()
    for person in pool.people:
        chance = marginals.get(person.id, Fraction(0))
        assert abs(float(chance) - got[person.id]) <= 1 / m + 1e-9
    assert sum(marginals.values()) == size
    record = build_record(pool, quotas, dist, lottery, seed="s")
    assert all(c.ok for c in verify_record(record))


@settings(max_examples=30, deadline=None)
@given(instances())
def test_maximin_reaches_the_leximin_minimum(instance):
    pool, quotas, size, _ = instance
    panels = _feasible_panels(pool, quotas, size)
    if not panels:
        return
    expected = min(brute_leximin(len(pool.people), panels).values())
    dist = select_distribution(pool, quotas, size, method="maximin")
    assert abs(dist.min_probability - expected) <= TOL


def test_fractional_relaxation_falls_back_to_column_generation():
    """Three binary features in an odd cycle: the relaxation gives everyone 1/3 or more, but the
    only panel that meets the quotas is {v4, v5}. The answer must be that panel, always."""
    rows = {"v1": "110", "v2": "011", "v3": "101", "v4": "000", "v5": "111"}
    people = tuple(
        Person(pid, {f: bits[i] for i, f in enumerate("abc")}) for pid, bits in rows.items()
    )
    pool = Pool(people, ("a", "b", "c"))
    quotas = tuple(Quota(f, v, 1, 1) for f in "abc" for v in "01")
    assert _feasible_panels(pool, quotas, 2) == [(3, 4)]
    dist = select_distribution(pool, quotas, 2)
    assert dist.probabilities() == pytest.approx({"v1": 0, "v2": 0, "v3": 0, "v4": 1, "v5": 1})


def test_partition_shortcut_gives_exact_equal_chances():
    """300 people, 5 features, panel of 30, quotas around each value's share: everyone can
    have the average chance 30/300, which no distribution can beat for its smallest."""
    rng = random.Random(7)
    values = {"area": "nsew", "age": "1234", "sex": "fm", "decile": "abcde", "tenure": "ors"}
    people = tuple(
        Person(f"p{i:03d}", {f: rng.choice(vs) for f, vs in values.items()}) for i in range(300)
    )
    pool = Pool(people, tuple(sorted(values)))
    quotas = []
    for f, vs in values.items():
        for v in vs:
            share = sum(p.features[f] == v for p in people) * 30 / 300
            quotas.append(Quota(f, v, max(0, int(share) - 2), int(share) + 3))
    dist = select_distribution(pool, tuple(quotas), 30)
    assert set(dist.type_probabilities) == {0.1}
    assert dist.columns == 10  # a partition of the pool into 10 panels
    for panel in dist.panels:
        assert sum(panel) == 30
        for q, cover in zip(quotas, dist.table.coverage):
            assert q.min <= sum(panel[t] for t in cover) <= q.max

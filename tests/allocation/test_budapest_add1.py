"""Budapest 2024: our single MES runs against sampled steps of pabutools' Add1 loop.

pabutools' full Add1 loop on Budapest needs about 22,000 MES runs of ~10 s each, so the
reference file holds no equal-shares outcome for it. Instead `bench/pabutools_reference.py
--add1-samples` stored pabutools' plain MES at per-voter budgets B/n + k (the budget of step k
of its Add1 loop): a few spread-out steps, and every step where the funded set changes on the
way to the stop (as our runs at every step found them) together with the step before it. Here
every stored sample is checked against our exact run at the same budget, and our Add1 stopping
step against what the samples support. Whether Add1 stops depends only on the funded set, so
pabutools agrees with us at both ends of every stretch of one set; within a stretch, our
checks prove the set unchanged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from decide.allocation import LEX, equal_shares
from decide.allocation.mes_engine import Engine, cost_of, exhaustive
from decide.allocation.prepare import prepare
from tests.allocation.conftest import parsed, reference

NAME = "Hungary_Budapest_2024"


def _samples() -> dict[str, dict[str, Any]]:
    return reference().get(NAME, {}).get("add1_samples", {}).get("samples", {})


SAMPLE_KS = sorted(int(k) for k in _samples())


@cache
def _engine() -> tuple[Any, Any]:
    pb = parsed(NAME)
    prep = prepare(pb.instance, pb.profile)
    return prep, Engine(prep, LEX)


@pytest.mark.slow
@pytest.mark.parametrize("k", SAMPLE_KS)  # an empty list (no samples) skips the test
def test_mes_at_add1_step_matches_pabutools_sample(k: int) -> None:
    sample = _samples()[str(k)]
    prep, engine = _engine()
    base = prep.budget / prep.n_voters
    run = engine.run(base + k, certify=False)
    chosen = engine.free + run.selected
    assert sorted(prep.ids[i] for i in chosen) == sample["selected"]
    assert exhaustive(prep, chosen, engine.candidates) == sample["exhaustive"]
    assert (cost_of(prep, chosen) > prep.budget) == sample["over_budget"]


@pytest.mark.slow
def test_add1_stopping_step_is_what_the_samples_support() -> None:
    """Our Add1 step is the first sampled step where pabutools stops, and the step before it
    is sampled too and does not stop. Between the other samples, nothing is claimed."""
    samples = _samples()
    if not samples:
        pytest.skip("no pabutools Add1 samples for Budapest")
    # The sampled steps where pabutools' loop would stop (exhaustive, or over budget).
    stops = [
        k for k in SAMPLE_KS if samples[str(k)]["exhaustive"] or samples[str(k)]["over_budget"]
    ]
    assert stops, "no sampled step where pabutools' Add1 loop would stop"
    first = stops[0]
    # Our stopping step must be bracketed by the samples: pabutools goes on at first - 1 ...
    assert first - 1 in SAMPLE_KS
    below = samples[str(first - 1)]
    assert not below["exhaustive"] and not below["over_budget"]
    # ... and stops at `first` with a feasible exhaustive outcome, which it returns.
    stop = samples[str(first)]
    assert stop["exhaustive"] and not stop["over_budget"]

    pb = parsed(NAME)
    outcome = equal_shares(pb.instance, pb.profile)
    assert outcome.details["add1_increment"] == first
    # The completion only adds projects to the MES outcome of that step.
    assert set(stop["selected"]) <= set(outcome.selected_sorted)

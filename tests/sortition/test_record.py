"""The record: the draw from the seed, verification, tampering, replacements, infeasibility."""

from __future__ import annotations

import copy
import hashlib

import pytest

from audits.canonical import canonical_json
from decide.sortition import (
    InfeasibleQuotas,
    Quota,
    ReplacementImpossible,
    canonical_bytes,
    conflicting_bounds,
    decimal_text,
    draw_index,
    record_bytes,
    replace_dropouts,
    select,
    select_distribution,
    verify_record,
)


@pytest.fixture(scope="module")
def record(example_small_20):
    ex = example_small_20
    return select(ex.pool, ex.quotas, ex.size, panels=200, seed="17 4 33 8")


def failed(rec):
    return [c.name for c in verify_record(rec) if not c.ok]


def test_draw_index_is_the_documented_hash():
    digest = hashlib.sha256(b"decide/sortition/draw/v1\x00" + b"17 4 33 8").digest()
    assert draw_index("17 4 33 8", 200) == int.from_bytes(digest, "big") % 200 + 1
    assert {draw_index(str(s), 5) for s in range(200)} == {1, 2, 3, 4, 5}


def test_record_verifies_and_is_canonical(record):
    assert failed(record) == []
    assert record_bytes(record) == canonical_json(record)
    assert record["selected"] == record["panels"][record["draw_index"] - 1]
    assert record["panel_probabilities"] == ["0.005"] * 200
    assert record["method"] == "leximin"
    assert record["min_probability"] == "0.100000000"


def test_changed_seed_fails(record):
    bad = dict(record, seed="17 4 33 9")
    assert "the draw from the seed" in failed(bad)


def test_changed_drawn_panel_fails(record):
    bad = copy.deepcopy(record)
    outsider = next(p["id"] for p in bad["pool"] if p["id"] not in bad["selected"])
    bad["selected"][0] = outsider
    assert "the draw from the seed" in failed(bad)


def test_changed_panel_of_the_lottery_fails(record):
    bad = copy.deepcopy(record)
    other = 1 if record["draw_index"] != 2 else 3
    panel = bad["panels"][other - 1]
    outsider = next(p["id"] for p in bad["pool"] if p["id"] not in panel)
    panel[-1] = outsider
    assert failed(bad)  # the panels' hash, and perhaps a quota, no longer hold


def test_panel_breaking_a_quota_fails(record):
    bad = copy.deepcopy(record)
    men = [p["id"] for p in bad["pool"] if p["features"]["gender"] == "male"]
    bad["panels"][0] = men[:20]
    names = failed(bad)
    assert any("meets every quota" in n for n in names)


def test_changed_pool_hash_fails(record):
    bad = dict(record, pool_hash="0" * 64)
    assert failed(bad) == ["the pool's hash"]


def test_changed_pool_fails(record):
    bad = copy.deepcopy(record)
    bad["pool"][0]["features"]["gender"] = "male"
    assert "the pool's hash" in failed(bad)


def test_not_a_record():
    assert failed({"format": "something else"}) == ["the record's format"]
    assert failed([1, 2]) == ["the record's format"]


def test_replacement_is_recorded_and_verified(record):
    dropout = record["selected"][0]
    updated = replace_dropouts(record, [dropout], "99 1")
    entry = updated["replacements"][0]
    assert entry["dropouts"] == [dropout]
    assert len(entry["replacements"]) == 1
    assert dropout not in entry["panel_after"]
    assert len(entry["panel_after"]) == 20
    assert failed(updated) == []
    # The same dropout again is refused: they are no longer on the panel.
    with pytest.raises(ReplacementImpossible):
        replace_dropouts(updated, [dropout], "x")
    # A second round replaces from the panel after the first, and is checked too.
    twice = replace_dropouts(updated, [entry["replacements"][0]], "5")
    assert failed(twice) == []
    forged = copy.deepcopy(twice)
    forged["replacements"][1]["replacements"] = [dropout]
    assert failed(forged) == ["replacement round 2"]


def test_replacement_keeps_the_quotas(example_small_20):
    ex = example_small_20
    rec = select(ex.pool, ex.quotas, ex.size, panels=50, seed="1")
    # The lone female conservative is p0001; whoever drops out, the quotas still hold.
    updated = replace_dropouts(rec, rec["selected"][:5], "7")
    people = {p["id"]: p["features"] for p in rec["pool"]}
    after = updated["replacements"][0]["panel_after"]
    for q in ex.quotas:
        assert q.min <= sum(people[i][q.feature] == q.value for i in after) <= q.max


def test_infeasible_quotas_name_the_conflict(example_small_20):
    ex = example_small_20
    quotas = (
        Quota("gender", "female", 15, 20),
        Quota("gender", "male", 0, 20),
        Quota("leaning", "liberal", 0, 20),
        Quota("leaning", "conservative", 10, 20),
    )
    with pytest.raises(InfeasibleQuotas) as err:
        select_distribution(ex.pool, quotas, 20)
    text = str(err.value)
    assert "at least 15 with gender = female" in text
    assert "at least 10 with leaning = conservative" in text
    assert "male" not in text.replace("female", "")
    assert sorted(conflicting_bounds(ex.pool, quotas, 20)) == [(0, "min"), (3, "min")]


def test_pool_too_small(example_small_20):
    ex = example_small_20
    with pytest.raises(InfeasibleQuotas, match="fewer than the 500"):
        select_distribution(
            ex.pool, tuple(Quota(q.feature, q.value, 0, 500) for q in ex.quotas), 500
        )


def test_decimal_text_is_exact():
    from fractions import Fraction

    assert decimal_text(Fraction(1, 1000)) == "0.001"
    assert decimal_text(Fraction(3, 8)) == "0.375"
    assert decimal_text(Fraction(1, 3)) == "1/3"
    assert decimal_text(Fraction(0)) == "0"
    assert decimal_text(Fraction(2)) == "2"


def test_canonical_bytes_refuse_floats():
    with pytest.raises(ValueError):
        canonical_bytes({"p": 0.1})


def test_same_inputs_same_record(example_small_20):
    ex = example_small_20
    first = select(ex.pool, ex.quotas, ex.size, panels=60, seed="8 8 8")
    again = select(ex.pool, ex.quotas, ex.size, panels=60, seed="8 8 8")
    assert record_bytes(first) == record_bytes(again)
    other = select(ex.pool, ex.quotas, ex.size, panels=60, seed="8 8 9")
    assert other["panels_hash"] == first["panels_hash"]  # the lottery does not depend on the seed
    assert other["draw_index"] == draw_index("8 8 9", 60)


def test_no_seed_means_no_draw_yet(example_small_20):
    ex = example_small_20
    rec = select(ex.pool, ex.quotas, ex.size, panels=20)
    assert rec["seed"] is None and rec["selected"] == [] and rec["draw_index"] is None
    assert failed(rec) == []
    assert failed(dict(rec, selected=rec["panels"][0])) == ["the draw"]

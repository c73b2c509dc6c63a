"""`decide sortition verify` trusts nothing the record says of itself."""

from __future__ import annotations

import copy
import hashlib
import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

from decide.cli.sortition import sortition_group
from decide.sortition import probability_text, record_bytes, select, verify_record


@pytest.fixture(scope="module")
def record(example_small_20):
    ex = example_small_20
    return select(ex.pool, ex.quotas, ex.size, panels=200, seed="17 4 33 8")


def _verify(tmp_path, data: bytes, *options: str):
    path = tmp_path / "RECORD.json"
    path.write_bytes(data)
    return CliRunner().invoke(sortition_group, ["verify", str(path), *options])


def test_a_false_flag_does_not_excuse_chances_far_from_the_probabilities(record):
    rec = copy.deepcopy(record)
    probs = {pid: Fraction(p) for pid, p in rec["probabilities"].items()}
    middle = sorted(pid for pid, p in probs.items() if Fraction(1, 20) < p < Fraction(19, 20))
    up, down = middle[0], middle[1]
    # Shift probability between two people (the sum stays the panel size) and say, falsely,
    # that the lottery was not meant to be within 1/m; restate the self-reported numbers.
    rec["probabilities"][up] = probability_text(float(probs[up] + Fraction(1, 25)))
    rec["probabilities"][down] = probability_text(float(probs[down] - Fraction(1, 25)))
    rec["within_one_over_m"] = False
    written = [Fraction(p) for p in rec["probabilities"].values()]
    rec["min_probability"] = probability_text(float(min(written)))
    m = len(rec["panels"])
    seats = {pid: sum(pid in panel for panel in rec["panels"]) for pid in rec["probabilities"]}
    gap = max(abs(Fraction(seats[p], m) - Fraction(v)) for p, v in rec["probabilities"].items())
    rec["max_deviation"] = probability_text(float(gap))
    failed = [c for c in verify_record(rec) if not c.ok]
    assert [c.name for c in failed] == [
        "each person's lottery chance is within 1/m of their probability (exact)"
    ]
    assert up in failed[0].detail and down in failed[0].detail


def test_the_smallest_probability_is_recomputed_and_reported(record):
    (check,) = [c for c in verify_record(record) if c.name == "the smallest probability"]
    assert check.ok and f"recomputed {record['min_probability']}" in check.detail
    rec = dict(record, min_probability="0.999000000")
    assert not next(c for c in verify_record(rec) if c.name == "the smallest probability").ok


def test_verify_prints_the_hash_and_checks_the_one_expected(record, tmp_path):
    data = record_bytes(record)
    digest = hashlib.sha256(data).hexdigest()
    ok = _verify(tmp_path, data, "--expect-hash", digest.upper())
    assert ok.exit_code == 0, ok.output
    assert digest in ok.output and "Not checked: that the probabilities are optimal" in ok.output
    wrong = _verify(tmp_path, data, "--expect-hash", "0" * 64)
    assert wrong.exit_code == 1 and "FAIL the file's SHA-256 is the one expected" in wrong.output


def test_resolve_solves_again_and_compares_the_minimum(record, tmp_path):
    out = _verify(tmp_path, record_bytes(record), "--resolve")
    assert out.exit_code == 0, out.output
    assert "ok   solved again: the smallest probability" in out.output
    assert "Not checked" not in out.output
    lowered = dict(record, min_probability="0.000000001")
    lowered["probabilities"] = dict(record["probabilities"])
    assert _verify(tmp_path, record_bytes(lowered), "--resolve").exit_code == 1


def test_unknown_quota_features_are_a_clear_failure(record, tmp_path):
    rec = copy.deepcopy(record)
    rec["quotas"][0]["feature"] = "shoe size"
    out = _verify(tmp_path, record_bytes(rec))
    assert out.exit_code == 1 and isinstance(out.exception, SystemExit)
    assert "the quotas name features the pool does not have: shoe size" in out.output


@pytest.mark.parametrize(
    "data",
    [b"[" * 100_000 + b"]" * 100_000, b'{"format": "decide/sortition-record/v1", "pool": 3}'],
)
def test_malformed_records_exit_1_without_a_traceback(tmp_path, data):
    out = _verify(tmp_path, data)
    assert out.exit_code == 1 and isinstance(out.exception, SystemExit), out.output
    assert "Traceback" not in out.output


def test_the_draw_mixes_the_seed_with_the_committed_nonce(example_small_20):
    from decide.sortition import draw, draw_index, mixed_seed, nonce_hash

    ex = example_small_20
    committed = select(ex.pool, ex.quotas, ex.size, panels=50)
    nonce = "ab" * 32
    committed["nonce_hash"] = nonce_hash(nonce)
    drawn = draw(committed, "public seed 7", nonce)
    assert drawn["draw_index"] == draw_index(mixed_seed("public seed 7", nonce), 50)
    assert all(c.ok for c in verify_record(drawn))
    with pytest.raises(ValueError, match="nonce"):
        draw(committed, "public seed 7", "cd" * 32)  # not the nonce committed
    forged = dict(drawn, nonce="cd" * 32)
    assert "the nonce revealed is the one committed" in [
        c.name for c in verify_record(forged) if not c.ok
    ]


def test_the_cli_replaces_with_the_committed_nonce_only(example_small_20, tmp_path):
    from decide.sortition import draw, nonce_hash

    ex = example_small_20
    rec = select(ex.pool, ex.quotas, ex.size, panels=50)
    rec["nonce_hash"] = nonce_hash("ab" * 32)
    rec = draw(rec, "public seed 7", "ab" * 32)
    rec["next_nonce_hash"] = nonce_hash("cd" * 32)
    path, out = tmp_path / "RECORD.json", tmp_path / "after.json"
    path.write_bytes(record_bytes(rec))
    args = ["replace", str(path), "--dropout", rec["selected"][0], "--seed", "later seed 9"]
    refused = CliRunner().invoke(sortition_group, [*args, "-o", str(out)])
    assert refused.exit_code == 1 and "nonce does not match" in refused.output
    done = CliRunner().invoke(sortition_group, [*args, "--nonce", "cd" * 32, "-o", str(out)])
    assert done.exit_code == 0, done.output
    verified = CliRunner().invoke(sortition_group, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    after = json.loads(out.read_bytes())
    assert after["replacements"][0]["nonce"] == "cd" * 32 and after["next_nonce_hash"] is None

"""`decide sortition select|verify|replace` as a person runs them."""

from __future__ import annotations

import json

from tests.cli.conftest import run_decide


def test_select_json_fields_and_verify(example_small_20, instance, tmp_path):
    ex = example_small_20
    out = run_decide(
        instance,
        "sortition",
        "select",
        str(ex.pool_csv),
        str(ex.quotas_csv),
        "--size",
        "20",
        "--seed",
        "3 1 4 1 5",
        "--panels",
        "100",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in (
        "method",
        "min_probability",
        "probabilities",
        "panels",
        "panel_probabilities",
        "selected",
        "seconds",
    ):
        assert key in data
    assert data["method"] == "leximin"
    assert data["min_probability"] == "0.100000000"
    assert len(data["panels"]) == len(data["panel_probabilities"]) == 100
    assert len(data["selected"]) == 20
    path = tmp_path / "record.json"
    path.write_text(out.stdout)
    ok = run_decide(instance, "sortition", "verify", str(path))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "All checks passed." in ok.stdout
    data["seed"] = "3 1 4 1 6"
    path.write_text(json.dumps(data))
    bad = run_decide(instance, "sortition", "verify", str(path))
    assert bad.returncode == 1
    assert "FAIL the draw from the seed" in bad.stdout


def test_record_file_and_replace(example_small_20, instance, tmp_path):
    ex = example_small_20
    rec = tmp_path / "r.json"
    out = run_decide(
        instance,
        "sortition",
        "select",
        str(ex.pool_csv),
        str(ex.quotas_csv),
        "--size",
        "20",
        "--seed",
        "42",
        "--panels",
        "40",
        "--method",
        "maximin",
        "-o",
        str(rec),
    )
    assert out.returncode == 0, out.stderr
    assert "smallest probability: 0.100000000" in out.stdout
    first = json.loads(rec.read_text())["selected"][0]
    rec2 = tmp_path / "r2.json"
    rep = run_decide(
        instance,
        "sortition",
        "replace",
        str(rec),
        "--dropout",
        first,
        "--seed",
        "9",
        "-o",
        str(rec2),
    )
    assert rep.returncode == 0, rep.stderr
    assert run_decide(instance, "sortition", "verify", str(rec2)).returncode == 0
    data = json.loads(rec2.read_text())
    data["pool_hash"] = "f" * 64
    rec2.write_text(json.dumps(data))
    bad = run_decide(instance, "sortition", "verify", str(rec2))
    assert bad.returncode == 1
    assert "FAIL the pool's hash" in bad.stdout


def test_infeasible_quotas_exit_1_naming_them(example_small_20, instance, tmp_path):
    quotas = tmp_path / "q.csv"
    quotas.write_text(
        "feature,value,min,max\ngender,female,15,20\ngender,male,0,20\n"
        "leaning,liberal,0,20\nleaning,conservative,10,20\n"
    )
    out = run_decide(
        instance,
        "sortition",
        "select",
        str(example_small_20.pool_csv),
        str(quotas),
        "--size",
        "20",
    )
    assert out.returncode == 1
    assert "at least 15 with gender = female" in out.stderr
    assert "at least 10 with leaning = conservative" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_record_exit_1(instance, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    out = run_decide(instance, "sortition", "verify", str(path))
    assert out.returncode == 1
    assert "not a JSON record" in out.stderr

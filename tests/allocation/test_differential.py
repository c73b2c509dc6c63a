"""Our rules against pabutools 1.2.3 on every pabulib file (reference computed by
bench/pabutools_reference.py, because pabutools takes minutes on the large files)."""

from __future__ import annotations

import pytest

from decide.allocation import PLAIN, equal_shares, greedy, phragmen, utilitarian
from tests.allocation.conftest import pabulib_files, parsed, reference

FILES = [p.stem for p in pabulib_files()]
# Equal shares with Add1 runs MES once per Add1 step (thousands of steps on the large files);
# with the compiled float screen (mesfloat.py) every file takes under a second, except Budapest
# (seconds), which has no full pabutools reference: pabutools' Add1 takes many hours on it.
SLOW_ADD1 = {"Hungary_Budapest_2024"}


def _add1_param(name: str) -> object:
    if name in SLOW_ADD1:
        return pytest.param(name, marks=pytest.mark.slow)
    return name


def _entry(name: str, rule: str) -> dict:
    entry = reference().get(name, {}).get("rules", {}).get(rule)
    if entry is None and reference().get(name, {}).get("add1_samples") and rule == "equal-shares":
        pytest.skip(
            f"pabutools' Add1 loop on {name} takes many hours: test_budapest_add1.py checks "
            "sampled steps of it instead"
        )
    if entry is None:
        pytest.skip(f"no pabutools reference yet for {name} / {rule}")
    return entry


@pytest.mark.parametrize("name", FILES)
def test_greedy_matches_pabutools(name: str) -> None:
    entry = _entry(name, "greedy")
    pb = parsed(name)
    outcome = greedy(pb.instance, pb.profile)
    assert list(outcome.selected_sorted) == entry["selected"]
    assert str(outcome.to_json_dict()["spent"]) == entry["spent"]


@pytest.mark.parametrize("name", FILES)
def test_plain_mes_matches_pabutools(name: str) -> None:
    entry = _entry(name, "mes")
    pb = parsed(name)
    outcome = equal_shares(pb.instance, pb.profile, options=PLAIN)
    assert list(outcome.selected_sorted) == entry["selected"]


@pytest.mark.parametrize("name", [_add1_param(n) for n in FILES])
def test_equal_shares_add1_completion_matches_pabutools(name: str) -> None:
    entry = _entry(name, "equal-shares")
    pb = parsed(name)
    outcome = equal_shares(pb.instance, pb.profile)
    assert list(outcome.selected_sorted) == entry["selected"]
    assert outcome.to_json_dict()["spent"] == entry["spent"]


@pytest.mark.parametrize("name", FILES)
def test_phragmen_matches_pabutools(name: str) -> None:
    entry = _entry(name, "phragmen")
    pb = parsed(name)
    outcome = phragmen(pb.instance, pb.profile)
    assert list(outcome.selected_sorted) == entry["selected"]


@pytest.mark.parametrize("name", FILES)
def test_utilitarian_reaches_pabutools_welfare(name: str) -> None:
    entry = _entry(name, "utilitarian")
    pb = parsed(name)
    outcome = utilitarian(pb.instance, pb.profile)
    assert outcome.details["welfare"] == entry["welfare"]
    assert outcome.spent <= pb.instance.budget

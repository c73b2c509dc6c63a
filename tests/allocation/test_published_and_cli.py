"""`--rule as-published` and the `decide allocate` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from decide.allocation.published import as_published
from decide.cli.allocate import allocate_command
from tests.allocation.conftest import PABULIB, pabulib_files, parsed

REPRODUCIBLE = [
    "Poland_Czestochowa_2024",
    "Poland_Czestochowa_2024_Tysiaclecie",
    "Poland_Gdynia_2020_Grabowek__large",
    "Poland_Katowice_2024_Murcki",
    "Poland_Krakow_2020",
    "Poland_Krakow_2024_Podgorze",
    "Poland_Lodz_2022",
    "Poland_Lodz_2024_Nr_33",
    "Poland_Warszawa_2017_Przyczolek_Grochowski",
    "Poland_Warszawa_2019_Ochota",
    "Poland_Warszawa_2020_Praga-Poludnie",
    "Poland_Warszawa_2021_Ochota",
    "Poland_Warszawa_2026",
]


@pytest.mark.parametrize("name", REPRODUCIBLE)
def test_as_published_reproduces_selected_column(name: str) -> None:
    pb = parsed(name)
    check = as_published(pb.instance, pb.profile)
    assert check.expected, "the file has a selected column"
    assert check.match is True


def test_files_that_cannot_be_compared_say_why() -> None:
    reasons = {}
    for path in pabulib_files():
        if path.stem in REPRODUCIBLE:
            continue
        pb = parsed(path.stem)
        check = as_published(pb.instance, pb.profile)
        assert check.match is None
        reasons[path.stem] = check.reason
    assert "paper" in reasons["Hungary_Budapest_2024"]
    assert "no selected column" in reasons["France_Toulouse_2024"]


def test_allocate_json() -> None:
    path = PABULIB / "Poland_Warszawa_2017_Przyczolek_Grochowski.pb"
    result = CliRunner().invoke(allocate_command, [str(path), "--rule", "equal-shares", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rule"] == "equal-shares"
    assert data["selected"] == sorted(data["selected"])
    assert isinstance(data["spent"], str) and isinstance(data["seconds"], float)


def test_allocate_lottery_records_seed_and_rejects_bad_input() -> None:
    path = PABULIB / "Poland_Lodz_2024_Nr_33.pb"
    runner = CliRunner()
    ok = runner.invoke(
        allocate_command,
        [str(path), "--rule", "greedy", "--json", "--tie-break", "lottery", "--seed", "s1"],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["tie_break"] == {"kind": "lottery", "seed": "s1"}
    bad = runner.invoke(allocate_command, [str(path), "--rule", "greedy", "--tie-break", "lottery"])
    assert bad.exit_code != 0 and "seed" in bad.output
    wrong = runner.invoke(allocate_command, [str(path), "--rule", "greedy", "--no-completion"])
    assert wrong.exit_code != 0


def test_allocate_as_published_prints_match() -> None:
    path = PABULIB / "Poland_Lodz_2024_Nr_33.pb"
    result = CliRunner().invoke(allocate_command, [str(path), "--rule", "as-published"])
    assert result.exit_code == 0, result.output
    assert "match" in result.output and "mismatch" not in result.output


def test_decide_allocate_needs_no_secret_key_or_database(tmp_path: Path) -> None:
    """`decide allocate` is pure: it runs on a machine with no configuration at all."""
    path = PABULIB / "Poland_Warszawa_2017_Przyczolek_Grochowski.pb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECIDE_")}
    decide = Path(sys.executable).with_name("decide")
    result = subprocess.run(
        [str(decide), "allocate", str(path), "--rule", "greedy", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["selected"] == ["1772", "1774"]

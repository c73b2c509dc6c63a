"""Tests for per-project tallies."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from ballots.model import Ballot, Instance, Profile, Project
from ballots.pabulib import parse
from ballots.tally import tally

PABULIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"

INSTANCE = Instance(
    Fraction(100), tuple(Project(pid, Fraction(10)) for pid in ("9", "10", "2", "1"))
)


def test_keys_are_all_projects_in_string_order() -> None:
    t = tally(INSTANCE, Profile("approval", ()))
    assert list(t.approvals) == ["1", "10", "2", "9"]
    assert t.approvals == {"1": 0, "10": 0, "2": 0, "9": 0}
    assert t.points == {} and t.borda == {}
    assert t.ballots == 0


def test_approvals_count_a_repeated_project_once() -> None:
    profile = Profile("approval", (Ballot("a", ("1", "1", "2")), Ballot("b", ("1",))))
    t = tally(INSTANCE, profile)
    assert t.approvals == {"1": 2, "10": 0, "2": 1, "9": 0}


def test_points() -> None:
    profile = Profile(
        "cumulative", (Ballot("a", ("1", "2"), (3, 2)), Ballot("b", ("1", "9"), (1, 0)))
    )
    t = tally(INSTANCE, profile)
    assert t.points == {"1": 4, "10": 0, "2": 2, "9": 0}
    assert t.approvals == {"1": 2, "10": 0, "2": 1, "9": 1}


def test_borda_with_and_without_a_depth() -> None:
    profile = Profile("ordinal", (Ballot("a", ("2", "1", "9")), Ballot("b", ("1",))))
    t = tally(INSTANCE, profile)
    assert t.rank_depth == 3
    assert t.borda == {"1": 2 + 3, "10": 0, "2": 3, "9": 1}
    t2 = tally(INSTANCE, profile, rank_depth=2)
    assert t2.borda == {"1": 1 + 2, "10": 0, "2": 2, "9": 0}


def test_unknown_project_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown project"):
        tally(INSTANCE, Profile("approval", (Ballot("a", ("77",)),)))


def test_as_json_holds_only_ints_and_strings() -> None:
    profile = Profile("ordinal", (Ballot("a", ("2", "1")),))
    data = tally(INSTANCE, profile).as_json()
    assert data == {
        "vote_type": "ordinal",
        "ballots": 1,
        "rank_depth": 2,
        "projects": {
            "1": {"approvals": 1, "borda": 1},
            "10": {"approvals": 0, "borda": 0},
            "2": {"approvals": 1, "borda": 2},
            "9": {"approvals": 0, "borda": 0},
        },
    }


@pytest.mark.parametrize(
    "name",
    [
        "France_Toulouse_2019.pb",
        "Poland_Czestochowa_2024_Tysiaclecie.pb",
        "Poland_Katowice_2024_Murcki.pb",
        "Poland_Krakow_2024_Podgorze.pb",
        "Poland_Warszawa_2021_Ochota.pb",
        "Netherlands_Amsterdam_604.pb",
    ],
)
def test_tallies_reproduce_the_files_votes_and_score_columns(name: str) -> None:
    pb = parse((PABULIB / name).read_text(encoding="utf-8"))
    depth = int(pb.instance.meta["max_length"]) if pb.profile.vote_type == "ordinal" else None
    t = tally(pb.instance, pb.profile, rank_depth=depth)
    votes = {p.id: int(p.fields["votes"]) for p in pb.instance.projects}
    if name == "Netherlands_Amsterdam_604.pb":
        # The file counts the one ballot that lists four projects twice twice for each of them.
        differs = {pid for pid in votes if votes[pid] != t.approvals[pid]}
        assert differs == {"42360", "42346", "42350", "42355"}
        assert all(votes[pid] == t.approvals[pid] + 1 for pid in differs)
        return
    assert dict(t.approvals) == votes
    if "score" in pb.project_columns:
        scores = {p.id: int(p.fields["score"]) for p in pb.instance.projects}
        assert dict(t.points or t.borda) == scores

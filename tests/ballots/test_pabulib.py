"""Tests for the pabulib reader and writer."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import pytest

from ballots.model import Ballot, Instance, Profile, Project
from ballots.pabulib import (
    PbError,
    PbFile,
    format_decimal,
    parse,
    parse_decimal,
    write,
    write_election,
)

PABULIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"
PB_FILES = sorted(PABULIB.glob("*.pb"))


def read(name: str) -> str:
    return (PABULIB / name).read_text(encoding="utf-8")


def test_the_shared_files_are_there() -> None:
    assert len(PB_FILES) >= 20


@pytest.mark.parametrize("path", PB_FILES, ids=lambda p: p.stem)
def test_every_shared_file_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pb = parse(text)
    again = parse(write(pb))
    assert again == pb
    # Equality of the dataclasses covers these, but say what matters explicitly.
    assert again.instance.meta == pb.instance.meta
    assert list(again.instance.meta) == list(pb.instance.meta)
    assert again.project_columns == pb.project_columns
    assert again.vote_columns == pb.vote_columns
    assert [b.fields for b in again.profile.ballots] == [b.fields for b in pb.profile.ballots]
    assert len(pb.instance.projects) == int(pb.instance.meta["num_projects"])
    assert len(pb.profile.ballots) == int(pb.instance.meta["num_votes"])


def test_lodz_2022_parses_quickly_enough() -> None:
    text = read("Poland_Lodz_2022.pb")
    start = time.perf_counter()
    pb = parse(text)
    elapsed = time.perf_counter() - start
    print(f"parse Poland_Lodz_2022.pb ({len(pb.profile.ballots)} ballots): {elapsed:.3f} s")
    assert len(pb.profile.ballots) == 90494


def test_decimal_costs_and_budget_are_exact() -> None:
    pb = parse(read("Poland_Warszawa_2017_Przyczolek_Grochowski.pb"))
    assert pb.instance.budget == Fraction(10253336, 100)
    assert pb.instance.meta["budget"] == "102533.36"
    toulouse = parse(read("France_Toulouse_2022_19_-_Casselardit_Fontaine-Bayonne_Cartoucherie.pb"))
    assert toulouse.instance.budget == 400000
    assert toulouse.instance.project("70").cost == 60000
    assert toulouse.instance.project("70").fields["votes"] == "27"
    assert "400000.0" in write(toulouse)  # the META spelling is kept when the value is unchanged


def test_choose_1_reads_as_approval_and_keeps_its_label() -> None:
    pb = parse(read("Netherlands_Amsterdam_643.pb"))
    assert pb.profile.vote_type == "approval"
    assert pb.instance.meta["vote_type"] == "choose-1"
    assert "vote_type;choose-1\n" in write(pb)


def test_a_ballot_listing_a_project_twice_is_kept_as_cast() -> None:
    pb = parse(read("Netherlands_Amsterdam_604.pb"))
    doubles = [b for b in pb.profile.ballots if len(set(b.projects)) != len(b.projects)]
    assert len(doubles) == 1
    b = doubles[0]
    assert b.projects == (
        "42344",
        "42346",
        "42346",
        "42350",
        "42350",
        "42355",
        "42355",
        "42360",
        "42360",
    )
    assert b.approved == frozenset({"42344", "42346", "42350", "42355", "42360"})
    assert parse(write(pb)).profile.ballots == pb.profile.ballots


def test_cumulative_points_are_aligned_ints_and_extra_columns_kept() -> None:
    pb = parse(read("Poland_Czestochowa_2024_Tysiaclecie.pb"))
    first = pb.profile.ballots[0]
    assert first == Ballot("19", ("595",), (10,), {"sex": "M", "voting_method": "internet"})
    second = pb.profile.ballots[1]
    assert second.points_by_project == {"378": 5, "619": 5}
    assert pb.vote_columns == ("voter_id", "vote", "points", "sex", "voting_method")


def test_ordinal_ballots_keep_rank_order() -> None:
    pb = parse(read("US_Stanford_Dataset_PB_Chicago_39th_Ward_2021_vote_rankings.pb"))
    assert pb.profile.vote_type == "ordinal"
    assert pb.profile.ballots[0].projects == ("1857", "1851", "1859", "1856")
    assert pb.profile.ballots[0].ranking == ("1857", "1851", "1859", "1856")
    assert pb.profile.ballots[0].points is None


def test_csv_quoting_matches_pabutools() -> None:
    pb = parse(read("Poland_Lodz_2022.pb"))
    assert pb.instance.project("L149").name == '"Wileńska" bez barier.'


@pytest.mark.parametrize(
    "name",
    [
        "Netherlands_Amsterdam_604.pb",
        "Poland_Czestochowa_2020_Grabowka.pb",
        "Poland_Warszawa_2017_Przyczolek_Grochowski.pb",
        "US_Stanford_Dataset_PB_Chicago_39th_Ward_2021_vote_rankings.pb",
        "Poland_Katowice_2024_Murcki.pb",
    ],
)
def test_reads_like_pabutools(name: str) -> None:
    pabulib = pytest.importorskip("pabutools.election.pabulib")
    text = read(name)
    pb = parse(text)
    inst, prof = pabulib.parse_pabulib_from_string(text)
    assert pb.instance.budget == inst.budget_limit
    assert {p.id: p.cost for p in pb.instance.projects} == {p.name: p.cost for p in inst}
    ours = [b.approved for b in pb.profile.ballots]
    theirs = [frozenset(p.name for p in b) for b in prof]
    assert ours == theirs
    if pb.profile.vote_type == "ordinal":
        assert [b.ranking for b in pb.profile.ballots] == [tuple(p.name for p in b) for b in prof]
    if pb.profile.vote_type == "cumulative":
        assert [dict(b.points_by_project) for b in pb.profile.ballots] == [
            {p.name: int(v) for p, v in b.items()} for b in prof
        ]
    names = {p.id: p.name for p in pb.instance.projects}
    meta = {p.name: m for p, m in inst.project_meta.items()}
    for pid, name_ in names.items():
        assert name_.strip() == meta[pid].get("name", "")


def test_write_election_derives_columns_and_round_trips() -> None:
    instance = Instance(
        budget=Fraction(1001, 2),
        projects=(
            Project("a", Fraction(250), "Park; with a semicolon", {"area": "North"}),
            Project("b", Fraction(1, 4), 'Library "Open"'),
        ),
        meta={"description": "demo\nwith a newline"},
    )
    profile = Profile(
        "cumulative",
        (Ballot("1", ("a", "b"), (3, 2)), Ballot("2", (), ()), Ballot("3", ("b",), (5,))),
    )
    text = write_election(instance, profile)
    assert "budget;500.5\n" in text
    assert "b;0.25;" in text
    pb = parse(text)
    assert pb.project_columns == ("project_id", "cost", "name", "area")
    assert pb.vote_columns == ("voter_id", "vote", "points")
    assert pb.instance.budget == instance.budget
    assert pb.instance.projects[1] == Project("b", Fraction(1, 4), 'Library "Open"', {"area": ""})
    assert pb.profile == profile
    assert pb.instance.meta["description"] == "demo\nwith a newline"
    assert pb.instance.meta["num_votes"] == "3"
    assert parse(write(pb)) == pb


def test_write_refuses_a_cost_without_a_finite_decimal() -> None:
    instance = Instance(budget=Fraction(10), projects=(Project("a", Fraction(1, 3)),))
    with pytest.raises(ValueError, match="no finite decimal"):
        write_election(instance, Profile("approval", ()))


def test_write_refuses_unknown_projects_and_duplicate_voters() -> None:
    instance = Instance(budget=Fraction(10), projects=(Project("a", Fraction(1)),))
    with pytest.raises(ValueError, match="unknown project"):
        write_election(instance, Profile("approval", (Ballot("1", ("zz",)),)))
    with pytest.raises(ValueError, match="appears twice"):
        write_election(instance, Profile("approval", (Ballot("1", ("a",)), Ballot("1", ()))))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(10253336, 100), "102533.36"),
        (Fraction(400000), "400000"),
        (Fraction(-1, 8), "-0.125"),
        (Fraction(1, 20), "0.05"),
        (Fraction(0), "0"),
    ],
)
def test_format_decimal(value: Fraction, text: str) -> None:
    assert format_decimal(value) == text
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["abc", "1e5", "", "1.2.3", "--1", "1/3", "nan"])
def test_parse_decimal_refuses_non_decimals(text: str) -> None:
    assert parse_decimal(text) is None


GOOD = """META
key;value
description;test
budget;1000
vote_type;{vote_type}
PROJECTS
project_id;cost;name
1;500;One
2;300.50;Two
VOTES
voter_id;vote{points_header}
v1;1,2{points1}
v2;2{points2}
"""


def good(vote_type: str = "approval") -> str:
    if vote_type in ("cumulative", "scoring"):
        return GOOD.format(
            vote_type=vote_type, points_header=";points", points1=";3,2", points2=";1"
        )
    return GOOD.format(vote_type=vote_type, points_header="", points1="", points2="")


@pytest.mark.parametrize("vote_type", ["approval", "cumulative", "ordinal", "scoring"])
def test_small_file_of_each_vote_type(vote_type: str) -> None:
    pb = parse(good(vote_type))
    assert pb.profile.vote_type == vote_type
    assert pb.instance.project("2").cost == Fraction(601, 2)
    assert pb.profile.ballots[0].projects == ("1", "2")
    if vote_type in ("cumulative", "scoring"):
        assert pb.profile.ballots[0].points == (3, 2)
    else:
        assert pb.profile.ballots[0].points is None
    assert parse(write(pb)) == pb


def test_crlf_and_bom_are_read() -> None:
    text = "\ufeff" + good().replace("\n", "\r\n")
    assert parse(text) == parse(good())


def error_of(text: str) -> PbError:
    with pytest.raises(PbError) as info:
        parse(text)
    return info.value


def replace_line(text: str, number: int, new: str) -> str:
    lines = text.split("\n")
    lines[number - 1] = new
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("line", "new", "message"),
    [
        (8, "1;abc;One", "line 8: project 1 has cost 'abc', which is not a number"),
        (9, "1;300;Again", "line 9: project id '1' appears twice (first on line 8)"),
        (9, "2;300", "line 9: PROJECTS row has 2 columns; the header has 3"),
        (12, "v1;1,7", "line 12: voter v1 votes for unknown project '7'"),
        (13, "v1;2", "line 13: voter id 'v1' appears twice (first on line 12)"),
        (13, "v2;2;extra", "line 13: VOTES row has 3 columns; the header has 2"),
        (12, "v1;1,,2", "line 12: voter v1's vote '1,,2' has an empty project id"),
        (4, "budget;lots", "line 4: budget 'lots' is not a number"),
        (5, "vote_type;plurality", "line 5: vote_type 'plurality' is not one of"),
        (3, "budget;10", "line 4: META key 'budget' appears twice (first on line 3)"),
        (7, "project_id;price;name", "line 7: PROJECTS header has no 'cost' column"),
        (11, "voter_id;ballot", "line 11: VOTES header has no 'vote' column"),
        (6, "VOTES", "line 6: section VOTES where PROJECTS was expected"),
        (1, "PROJECTS", "line 1: section PROJECTS where META was expected"),
        (3, "description;test;more", "line 3: META row has 3 columns; expected 2"),
    ],
)
def test_malformed_files_name_the_line(line: int, new: str, message: str) -> None:
    err = error_of(replace_line(good(), line, new))
    assert str(err).startswith(message)
    assert err.line == int(message.split(":")[0].removeprefix("line "))


def test_missing_budget_and_vote_type_name_the_meta_line() -> None:
    text = good().replace("budget;1000\n", "")
    err = error_of(text)
    assert str(err) == "line 1: META has no 'budget'"
    text = "\n\n" + good().replace("vote_type;approval\n", "")
    assert str(error_of(text)) == "line 3: META has no 'vote_type'"


def test_missing_sections() -> None:
    votes_start = good().index("VOTES")
    err = error_of(good()[:votes_start])
    assert str(err) == "line 9: no VOTES section"
    assert str(error_of("")) == "line 1: no META section"
    assert str(error_of("hello;world\n")) == (
        "line 1: expected the section title META before any data"
    )


def test_cumulative_points_errors() -> None:
    text = good("cumulative")
    assert str(error_of(replace_line(text, 12, "v1;1,2;3"))) == (
        "line 12: voter v1 lists 2 project(s) but 1 points value(s) ('3')"
    )
    assert str(error_of(replace_line(text, 13, "v2;2;1.5"))) == (
        "line 13: voter v2 has points '1.5', which is not a whole number"
    )
    assert str(error_of(replace_line(text, 11, "voter_id;vote"))).startswith(
        "line 11: VOTES header has no 'points' column"
    )


def test_line_numbers_count_quoted_newlines() -> None:
    text = good().replace("description;test", 'description;"two\nlines"')
    err = error_of(replace_line(text, 9, "1;abc;One"))
    assert err.line == 9
    assert "project 1 has cost" in str(err)


def test_pbfile_columns_default_from_values() -> None:
    pb = PbFile(
        Instance(Fraction(5), (Project("x", Fraction(1)),)),
        Profile("scoring", (Ballot("v", ("x",), (2,), {"age": "30"}),)),
    )
    assert pb.project_columns == ("project_id", "cost")
    assert pb.vote_columns == ("voter_id", "vote", "points", "age")

"""Tests for ballot rules, validation messages and plain-words descriptions."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from ballots.model import Ballot, Instance, Project
from ballots.pabulib import parse
from ballots.rules import (
    CODES,
    BallotRules,
    Violation,
    describe,
    format_money,
    rules_from_pabulib,
    validate,
)

PABULIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"

# Costs in pence: a £10,000.00 budget and projects of £2,500, £4,000, £6,000 and £500.
INSTANCE = Instance(
    budget=Fraction(1_000_000),
    projects=(
        Project("p1", Fraction(250_000), "Community garden"),
        Project("p2", Fraction(400_000), "Youth club"),
        Project("p3", Fraction(600_000), "Play park"),
        Project("p4", Fraction(50_000), "Benches"),
        Project("p5", Fraction(100_000), ""),
        Project("p6", Fraction(100_000), "Library hours"),
    ),
)


def codes(violations: list[Violation]) -> list[str]:
    return [v.code for v in violations]


def messages(ballot: Ballot, rules: BallotRules) -> list[str]:
    return [v.message for v in validate(ballot, rules, INSTANCE)]


def test_a_valid_approval_ballot_has_no_violations() -> None:
    rules = BallotRules("approval", min_choices=1, max_choices=5)
    assert validate(Ballot("t", ("p1", "p2")), rules, INSTANCE) == []


def test_too_many_approvals() -> None:
    rules = BallotRules("approval", max_choices=5)
    ballot = Ballot("t", ("p1", "p2", "p3", "p4", "p5", "p6"))
    assert messages(ballot, rules) == ["You chose 6 projects; this round allows at most 5."]


def test_too_few_approvals() -> None:
    rules = BallotRules("approval", min_choices=2, max_choices=5)
    assert messages(Ballot("t", ("p1",)), rules) == [
        "You chose 1 project; this round asks you to choose at least 2 projects."
    ]
    assert messages(Ballot("t", ()), rules) == [
        "You chose no projects; this round asks you to choose at least 2 projects."
    ]


def test_unknown_and_duplicated_ids_are_all_reported() -> None:
    rules = BallotRules("approval", max_choices=2)
    violations = validate(Ballot("t", ("p1", "zz", "p1", "p2")), rules, INSTANCE)
    assert codes(violations) == ["unknown_project", "duplicate_project", "too_many_choices"]
    assert violations[0].project_id == "zz"
    assert violations[0].message == (
        "Project 'zz' is not on this ballot; please choose from the list."
    )
    assert violations[1].message == (
        "You chose “Community garden” twice; each project can appear only once."
    )
    assert violations[2].message == "You chose 3 projects; this round allows at most 2."


def test_a_project_without_a_name_is_named_by_id() -> None:
    rules = BallotRules("approval")
    assert messages(Ballot("t", ("p5", "p5", "p5")), rules) == [
        "You chose project p5 3 times; each project can appear only once."
    ]


def test_over_budget_knapsack() -> None:
    rules = BallotRules("knapsack")
    ballot = Ballot("t", ("p1", "p2", "p3"))  # £12,500.00
    assert messages(ballot, rules) == [
        "Your choices cost £12,500.00, which is £2,500.00 more than the budget of £10,000.00."
    ]
    assert validate(Ballot("t", ("p2", "p3")), rules, INSTANCE) == []  # exactly the budget


def test_knapsack_with_its_own_limit_and_a_minimum_share() -> None:
    rules = BallotRules("knapsack", max_cost=Fraction(500_000), min_budget_share=Fraction(1, 3))
    over = validate(Ballot("t", ("p2", "p5", "p4")), rules, INSTANCE)
    assert codes(over) == ["over_budget"]
    assert "more than the limit of £5,000.00" in over[0].message
    under = validate(Ballot("t", ("p4",)), rules, INSTANCE)
    assert [v.message for v in under] == [
        "Your choices cost £500.00; this round asks for projects worth at least £3,333.33 "
        "(33.3% of the budget)."
    ]


def test_knapsack_counts_a_repeated_project_once() -> None:
    rules = BallotRules("knapsack")
    assert codes(validate(Ballot("t", ("p3", "p3")), rules, INSTANCE)) == ["duplicate_project"]


CUMULATIVE = BallotRules("cumulative", total_points=10, max_points_per_project=3)


def test_a_valid_cumulative_ballot() -> None:
    assert validate(Ballot("t", ("p1", "p2", "p3"), (3, 3, 3)), CUMULATIVE, INSTANCE) == []


def test_points_over_the_total_and_the_per_project_cap() -> None:
    ballot = Ballot("t", ("p1", "p2", "p3", "p4", "p5"), (3, 3, 3, 2, 4))
    violations = validate(ballot, CUMULATIVE, INSTANCE)
    assert codes(violations) == ["points_over_project_max", "points_over_total"]
    assert (
        violations[0].message == "You gave 4 points to project p5; one project can get at most 3."
    )
    assert violations[1].message == (
        "You gave 15 points in total, which is 5 more than the 10 this round allows."
    )


def test_negative_non_integer_and_missing_points() -> None:
    ballot = Ballot("t", ("p1", "p2", "p3"), (-1, 1.5, True))  # type: ignore[arg-type]
    assert codes(validate(ballot, CUMULATIVE, INSTANCE)) == [
        "points_negative",
        "points_not_whole",
        "points_not_whole",
        "too_few_choices",
    ]
    assert codes(validate(Ballot("t", ("p1",)), CUMULATIVE, INSTANCE)) == [
        "points_missing",
        "too_few_choices",
    ]
    assert codes(validate(Ballot("t", ("p1", "p2"), (1,)), CUMULATIVE, INSTANCE)) == [
        "points_misaligned"
    ]


def test_spend_all_points() -> None:
    rules = BallotRules("cumulative", total_points=5, spend_all_points=True)
    assert messages(Ballot("t", ("p1",), (4,)), rules) == [
        "You gave 4 points in total; this round asks you to give all 5."
    ]
    assert validate(Ballot("t", ("p1",), (5,)), rules, INSTANCE) == []


def test_zero_points_do_not_count_as_a_choice() -> None:
    assert codes(validate(Ballot("t", ("p1",), (0,)), CUMULATIVE, INSTANCE)) == ["too_few_choices"]


def test_points_on_an_approval_ballot_are_refused() -> None:
    rules = BallotRules("approval")
    assert codes(validate(Ballot("t", ("p1",), (1,)), rules, INSTANCE)) == ["unexpected_points"]


def test_ranked_ballots() -> None:
    rules = BallotRules("ranked", rank_depth=3)
    assert validate(Ballot("t", ("p3", "p1", "p2")), rules, INSTANCE) == []
    assert messages(Ballot("t", ("p3", "p1", "p2", "p4")), rules) == [
        "You ranked 4 projects; this round allows at most 3."
    ]
    assert messages(Ballot("t", ("p3", "p3")), rules) == [
        "You ranked “Play park” twice; each project can appear only once."
    ]


def test_every_code_is_listed() -> None:
    assert len(set(CODES)) == len(CODES)
    assert all(code == code.lower() for code in CODES)


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (BallotRules("approval", max_choices=5), ["Choose between 1 and 5 projects."]),
        (BallotRules("approval", min_choices=3, max_choices=3), ["Choose exactly 3 projects."]),
        (BallotRules("approval", min_choices=0), ["Choose any number of projects."]),
        (BallotRules("approval", min_choices=2), ["Choose at least 2 projects."]),
        (
            BallotRules("knapsack", min_choices=0, min_budget_share=Fraction(1, 2)),
            [
                "Choose any number of projects.",
                "Together, your choices can cost at most £10,000.00 (the budget).",
                "They must cost at least £5,000.00 (50% of the budget).",
            ],
        ),
        (
            CUMULATIVE,
            ["Spread up to 10 points; at most 3 on one project.", "Points are whole numbers."],
        ),
        (
            BallotRules("cumulative", total_points=5, spend_all_points=True),
            ["Spread exactly 5 points over the projects you support.", "Points are whole numbers."],
        ),
        (
            BallotRules("ranked", rank_depth=3),
            [
                "Rank between 1 and 3 projects.",
                "Put your favourite first; each project can appear only once.",
            ],
        ),
    ],
)
def test_describe(rules: BallotRules, expected: list[str]) -> None:
    assert describe(rules, INSTANCE) == expected


def test_describe_never_asks_for_more_projects_than_the_ballot_has() -> None:
    one = Instance(budget=Fraction(1_000), projects=(Project("p1", Fraction(500), "Benches"),))
    assert describe(BallotRules("approval", max_choices=5), one) == ["Choose exactly 1 project."]
    two = Instance(budget=Fraction(1_000), projects=INSTANCE.projects[:2])
    ranked = describe(BallotRules("ranked", rank_depth=5), two)
    assert ranked[0] == "Rank between 1 and 2 projects."
    assert describe(BallotRules("approval", min_choices=0), two) == [
        "Choose any number of projects."
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "plurality"}, "unknown ballot kind"),
        ({"kind": "approval", "min_choices": 3, "max_choices": 2}, "max_choices"),
        ({"kind": "cumulative"}, "total_points"),
        ({"kind": "approval", "total_points": 3}, "cumulative ballots only"),
        ({"kind": "approval", "max_cost": Fraction(1)}, "knapsack ballots only"),
        ({"kind": "knapsack", "min_budget_share": Fraction(3, 2)}, "between 0 and 1"),
        ({"kind": "ranked", "max_choices": 3}, "rank_depth"),
        ({"kind": "approval", "rank_depth": 3}, "ranked ballots only"),
    ],
)
def test_inconsistent_rules_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BallotRules(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "rules", "text"),
    [
        (1_250_000, BallotRules("approval"), "£12,500.00"),
        (5, BallotRules("approval"), "£0.05"),
        (-250, BallotRules("approval"), "-£2.50"),
        (
            Fraction(10253336, 100),
            BallotRules("approval", currency="PLN", unit_is_pence=False),
            "102,533.36 zł",
        ),
        (300_000, BallotRules("approval", currency="€", unit_is_pence=False), "€300,000"),
        (Fraction(1, 3), BallotRules("approval", currency="$", unit_is_pence=False), "$0.33"),
    ],
)
def test_format_money(amount: Fraction | int, rules: BallotRules, text: str) -> None:
    assert format_money(amount, rules) == text


def test_the_shared_files_respect_the_rules_their_meta_states() -> None:
    # NOTES.md: pabutools does not enforce max_length etc., but these files respect them.
    seen = {}
    for path in sorted(PABULIB.glob("*.pb")):
        pb = parse(path.read_text(encoding="utf-8"))
        rules = rules_from_pabulib(pb.instance, pb.profile.vote_type)
        found = [v.code for b in pb.profile.ballots[:3000] for v in validate(b, rules, pb.instance)]
        seen[path.stem] = (rules.kind, found)
    # Amsterdam 604 has one ballot listing four projects twice.
    assert seen.pop("Netherlands_Amsterdam_604") == ("approval", ["duplicate_project"] * 4)
    assert all(found == [] for _, found in seen.values())
    assert seen["Poland_Krakow_2020"][0] == "ranked"
    assert seen["Netherlands_Amsterdam_309"][0] == "knapsack"
    assert seen["France_Toulouse_2019"][0] == "cumulative"


def test_rules_from_pabulib_reads_limits_and_currency() -> None:
    pb = parse((PABULIB / "France_Toulouse_2019.pb").read_text(encoding="utf-8"))
    rules = rules_from_pabulib(pb.instance, pb.profile.vote_type)
    assert rules == BallotRules(
        "cumulative",
        min_choices=0,
        total_points=7,
        max_points_per_project=3,
        currency="€",
        unit_is_pence=False,
    )

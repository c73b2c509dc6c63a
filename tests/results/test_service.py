"""Results service: rows to values, equity floors and conflicts, confirming the rule, words."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import func, select

from decide.allocation import TieBreak, equal_shares
from decide.models import EquitySettings, RoundResult
from decide.services import results as service
from decide.services.errors import InvalidInput
from decide.services.results import EquitySpec
from tests.results.factory import closed_round, project_codes, tracker_for, user

FLOOR_1_2 = EquitySpec(
    floor_share=Fraction(30, 100), decile_weights={1: Fraction(3), 2: Fraction(2)}
)


@pytest.fixture
def rnd(db):
    return closed_round(db.session)


@pytest.fixture
def facilitator(db):
    return user(db.session, "fac@test.example", is_facilitator=True)


def _funds(election, outcome, area_id):
    return sum(
        (outcome.amounts[c] for c in outcome.selected if election.project_area.get(c) == area_id),
        Fraction(0),
    )


def test_round_to_election_maps_rows_to_values(db, rnd):
    e = service.round_to_election(db.session, rnd.id)
    assert e.instance.budget == Fraction(10_000_000)
    assert len(e.instance.projects) == 11
    assert e.instance.project("P1").cost == Fraction(3_800_000)
    assert e.profile.vote_type == "approval"
    assert len(e.profile.ballots) == 300
    assert e.profile.ballots[0].voter_id == tracker_for(rnd.id, 1).hex()
    # Areas from the most deprived, with population and decile.
    assert [(a.id, a.decile) for a in e.areas][:2] == [("riverside", 1), ("canal-side", 2)]
    assert e.project_area["P5"] == "riverside"
    assert e.project_organisation["P1"] == "Moorfield Harriers Running Club"
    assert e.project_themes["P3"] == ("Mental health",)
    assert set(e.organisation_ids) >= {"Moorfield Harriers Running Club"}


def test_withdrawn_projects_are_left_out(db):
    rnd = closed_round(
        db.session, title="Withdrawn", withdrawn=("warm",), voters=[("riverside", ("pantry",))]
    )
    e = service.round_to_election(db.session, rnd.id)
    assert "P11" not in e.instance.project_ids and len(e.instance.projects) == 10


def test_equity_floor_for_deciles_one_and_two_is_met(db, rnd):
    """Acceptance 4: with a floor for deciles 1-2, equity funds at least that floor."""
    e = service.round_to_election(db.session, rnd.id)
    params = e.equity_params(FLOOR_1_2)
    floors = params.area_floors(e.instance.budget)
    assert set(floors) == {"riverside", "canal-side"}
    assert sum(floors.values()) == Fraction(3_000_000)
    outcome = service.run_rule(
        e, "equity", parameters=service.rule_parameters("equity", e, FLOOR_1_2)
    )
    assert outcome.program is not None and outcome.program.status == "optimal"
    for area_id, floor in floors.items():
        assert _funds(e, outcome, area_id) >= floor
    assert outcome.spent <= e.instance.budget
    # The floor matters: greedy leaves Canal Side (decile 2) with nothing.
    greedy = service.run_rule(e, "greedy")
    assert _funds(e, greedy, "canal-side") == 0


def test_impossible_floor_names_the_conflicting_constraints(db, rnd):
    e = service.round_to_election(db.session, rnd.id)
    spec = EquitySpec(floor_share=Fraction(60, 100), decile_weights={1: Fraction(1)})
    outcome = service.run_rule(e, "equity", parameters=service.rule_parameters("equity", e, spec))
    summary = service.summarise(e, outcome)
    assert not summary.feasible
    assert summary.funded == () and summary.spent == 0
    # Riverside's projects cost £20,000 in all, far below a £60,000 floor.
    assert "These conflict: area Riverside (decile 1) receives at least £60,000.00." in (
        summary.problem
    )
    assert "Relax one of them" in summary.problem


def test_a_floor_and_a_cap_that_conflict_are_both_named(db, rnd):
    e = service.round_to_election(db.session, rnd.id)
    # Riverside's floor (£19,801.07) needs the food bank's pantry, which a £5,000 cap forbids.
    spec = EquitySpec(
        floor_share=Fraction(30, 100),
        decile_weights={1: Fraction(3), 2: Fraction(2)},
        organisation_caps={"Riverside Community Food Bank": 500_000},
    )
    outcome = service.run_rule(e, "equity", parameters=service.rule_parameters("equity", e, spec))
    problem = service.summarise(e, outcome).problem
    assert "area Riverside (decile 1) receives at least £19,801.07" in problem
    assert "organisation Riverside Community Food Bank receives at most £5,000.00" in problem
    assert "Canal Side" not in problem  # only the constraints that conflict are named


def test_rules_give_visibly_different_outcomes(db, rnd):
    e = service.round_to_election(db.session, rnd.id)
    summaries = {s.rule: s for s in service.compare_rules(e, FLOOR_1_2)}
    assert list(summaries) == list(service.RULE_ORDER)
    assert len({s.funded for s in summaries.values()}) >= 4
    greedy, mes = summaries["greedy"], summaries["equal-shares"]
    decile = {b.label: b.pence for b in greedy.by_decile}
    assert decile["Decile 2"] == 0 and decile["Decile 9"] == 6_000_000
    assert {b.label: b.pence for b in mes.by_decile}["Decile 2"] > 0
    assert mes.voters_with_funded > greedy.voters_with_funded
    assert greedy.leftover == 800_000 and greedy.spent + greedy.leftover == 10_000_000
    assert sum(b.pence for b in greedy.by_area) == greedy.spent
    # Our equal-shares summary is exactly the allocation engine's own outcome.
    assert mes.outcome == equal_shares(e.instance, e.profile)


def test_confirm_the_rule_fixed_at_voting_stores_the_outcome(db, rnd, facilitator):
    row = service.confirm_rule(
        db.session, rnd.id, rule="equal-shares", reason="", actor=facilitator
    )
    assert row.rule == row.original_rule == "equal-shares"
    assert not row.rule_changed and row.change_reason == ""
    _e, outcome = service.recompute_result(db.session, row)
    assert row.selected == list(outcome.selected)
    assert row.amounts == {k: str(int(v)) for k, v in outcome.amounts.items()}
    assert row.outcome == outcome.to_json_dict()
    assert row.tie_break_kind == "lex" and row.tie_break_seed is None
    assert row.ballot_count == 300
    assert service.confirmed_result(db.session, rnd.id).id == row.id


def test_changing_the_rule_needs_a_reason_and_writes_nothing_without(db, rnd, facilitator):
    with pytest.raises(InvalidInput) as err:
        service.confirm_rule(db.session, rnd.id, rule="greedy", reason="  ", actor=facilitator)
    assert "reason" in err.value.errors
    assert "shown publicly" in err.value.errors["reason"]
    with pytest.raises(InvalidInput):
        service.confirm_rule(
            db.session, rnd.id, rule="greedy", reason="too short", actor=facilitator
        )
    assert db.session.scalar(select(func.count(RoundResult.id))) == 0
    reason = "The panel agreed to follow the city's published greedy policy this year."
    row = service.confirm_rule(db.session, rnd.id, rule="greedy", reason=reason, actor=facilitator)
    assert row.rule_changed and row.change_reason == reason and row.original_rule == "equal-shares"


def test_confirm_with_a_lottery_tie_break_records_the_seed(db, rnd, facilitator):
    row = service.confirm_rule(
        db.session, rnd.id, rule="equal-shares", reason="", actor=facilitator,
        tie_break=TieBreak("lottery", "2026-03-14/draw-1"),
    )  # fmt: skip
    assert (row.tie_break_kind, row.tie_break_seed) == ("lottery", "2026-03-14/draw-1")
    assert row.outcome["tie_break"] == {"kind": "lottery", "seed": "2026-03-14/draw-1"}


def test_confirm_is_refused_outside_the_closed_phase(db, facilitator):
    voting = closed_round(db.session, title="Still voting", phase="voting")
    with pytest.raises(service.ResultsError, match="only while the round is closed"):
        service.confirm_rule(db.session, voting.id, rule="greedy", reason="", actor=facilitator)
    assert db.session.scalar(select(func.count(RoundResult.id))) == 0


def test_confirm_equity_with_an_impossible_floor_is_refused(db, rnd, facilitator):
    e = service.round_to_election(db.session, rnd.id)
    service.save_equity_settings(
        db.session, rnd.id, EquitySpec(floor_share=Fraction(70, 100), decile_weights={2: 1})
    )
    with pytest.raises(InvalidInput) as err:
        service.confirm_rule(
            db.session, rnd.id, rule="equity", actor=facilitator,
            reason="The partnership board asked for a guaranteed floor for Canal Side.",
        )  # fmt: skip
    assert "Canal Side (decile 2) receives at least £70,000.00" in err.value.errors["rule"]
    assert db.session.scalar(select(func.count(RoundResult.id))) == 0
    assert e.voters == 300


def test_equity_settings_round_trip_and_parameters_json(db, rnd):
    e = service.round_to_election(db.session, rnd.id)
    harriers = e.organisation_ids["Moorfield Harriers Running Club"]
    mental = e.theme_ids["Mental health"]
    form = {
        "floor_share": "25", "weight_1": "3", "weight_2": "1.5", "org_cap": "40,000",
        f"cap_{harriers}": "30000", f"theme_min_{mental}": "15", f"theme_max_{mental}": "60",
    }  # fmt: skip
    spec = service.parse_equity_form(form, e)
    assert spec.floor_share == Fraction(1, 4)
    assert spec.decile_weights == {1: 3, 2: Fraction(3, 2)}
    assert spec.organisation_cap == 4_000_000
    assert spec.organisation_caps == {"Moorfield Harriers Running Club": 3_000_000}
    service.save_equity_settings(db.session, rnd.id, spec)
    assert service.equity_spec(db.session, e) == spec
    assert service.equity_form_values(spec, e)["weight_2"] == "1.5"
    params = e.equity_params(spec)
    assert service.equity_params_from_json(service.equity_params_to_json(params)) == params
    outcome = service.run_rule(e, "equity", parameters=service.rule_parameters("equity", e, spec))
    assert _funds(e, outcome, "riverside") >= params.area_floors(e.instance.budget)["riverside"]
    harriers_total = sum(
        outcome.amounts[c]
        for c in outcome.selected
        if e.project_organisation.get(c) == "Moorfield Harriers Running Club"
    )
    assert harriers_total <= 3_000_000


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"floor_share": "130"}, "floor_share", "cannot be more than 100"),
        ({"floor_share": "thirty"}, "floor_share", "enter a percentage"),
        ({"floor_share": "30"}, "floor_share", "needs a weight"),
        ({"weight_3": "-1"}, "weight_3", "0 or more"),
        ({"org_cap": "0"}, "org_cap", "more than £0"),
    ],
)
def test_bad_equity_settings_are_refused_field_by_field(db, rnd, form, field, words):
    e = service.round_to_election(db.session, rnd.id)
    with pytest.raises(InvalidInput) as err:
        service.parse_equity_form(form, e)
    assert words in err.value.errors[field]
    assert db.session.scalar(select(func.count()).select_from(EquitySettings)) == 0


def test_theme_minimum_above_maximum_is_refused(db, rnd):
    e = service.round_to_election(db.session, rnd.id)
    theme = e.theme_ids["Mental health"]
    with pytest.raises(InvalidInput) as err:
        service.parse_equity_form({f"theme_min_{theme}": "50", f"theme_max_{theme}": "20"}, e)
    assert "above the maximum" in err.value.errors[f"theme_min_{theme}"]


def test_explanations_speak_plainly(db, rnd):
    e = service.round_to_election(db.session, rnd.id)
    mes = service.explain(e, service.run_rule(e, "equal-shares"))
    assert mes.intro[0].startswith("The budget of £100,000.00 was shared equally between the 300")
    assert "each had £333.33 to spend" in mes.intro[0]
    assert mes.steps[0].startswith("‘Outdoor gym on Hillfoot Park’ (£26,000.00) was funded first:")
    assert "supporters paid £" in mes.steps[0]
    greedy = service.explain(e, service.run_rule(e, "greedy"))
    assert any("was skipped: only £8,000.00 was left" in s for s in greedy.steps)
    assert any("£8,000.00 is left over" in n for n in greedy.notes)
    assert not any("ranked" in n for n in greedy.notes)


def test_ranked_ballots_are_said_to_count_as_approval(db):
    ranked = closed_round(
        db.session, title="Ranked round", ballot_kind="ranked",
        voters=[("riverside", ("pantry", "walking")), ("moorfield", ("track",))],
    )  # fmt: skip
    e = service.round_to_election(db.session, ranked.id)
    assert e.profile.vote_type == "ordinal"
    words = service.explain(e, service.run_rule(e, "greedy"))
    assert any(
        "treat a ranked ballot as support for every project it ranks" in n for n in words.notes
    )


def _stated(e, sequence):
    """Return the choices of the ballot at this sequence, as its voter would state them."""
    from ballots.model import Ballot as CoreBallot

    return CoreBallot("", e.profile.ballots[sequence - 1].projects)


def test_how_a_ballot_was_used(db, rnd, facilitator):
    from ballots.model import Ballot as CoreBallot

    with pytest.raises(service.ResultsError):
        service.usage_for_choices(db.session, rnd.id, CoreBallot("", ("P1",)))
    service.confirm_rule(db.session, rnd.id, rule="equal-shares", reason="", actor=facilitator)
    e, outcome = service.recompute_result(db.session, service.confirmed_result(db.session, rnd.id))
    per_voter = Fraction(outcome.details["mes_budget_per_voter"])
    seen_funded = False
    for sequence in (1, 2, 3, 50, 150, 299):
        stated = _stated(e, sequence)
        # Stated in another order, the same choices give the same answer.
        again = CoreBallot("", tuple(reversed(stated.projects)))
        view = service.usage_for_choices(db.session, rnd.id, again)
        assert view is not None
        listed = set(view.ballot.projects)
        assert listed == set(stated.projects)
        assert {c for c, *_ in view.funded} == listed & set(outcome.selected)
        assert {c for c, _ in view.not_funded} == listed - set(outcome.selected)
        assert view.usage.total == sum((s.share for s in view.usage.supported_funded), Fraction(0))
        assert view.usage.total <= per_voter
        seen_funded |= bool(view.funded)
    assert seen_funded
    assert service.usage_for_choices(db.session, rnd.id, CoreBallot("", ("P99",))) is None


def test_money_in_engine_text_reads_as_pounds():
    text = (
        "area X receives at least 1980107; area Z receives at least 8892000000/4109. "
        "theme Y receives at most 20% of the money spent"
    )
    out = service.money_in_text(text)
    assert "at least £19,801.07;" in out and "at least £21,640.30." in out
    assert "at most 20% of the money spent" in out
    assert project_codes()["track"] == "P1"

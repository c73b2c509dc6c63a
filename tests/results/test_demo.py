"""The demo's closed round: real casts, a valid chain, and rules that visibly disagree."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import select

from decide.demo.foundation import seed_foundation
from decide.demo.results import RESULTS_ROUND_SLUG, demo_choices, seed_results
from decide.models import Round
from decide.services import results as service
from decide.services.ballot_box import counts, verify_round_chain


def test_demo_choices_are_deterministic_and_valid():
    first, again = demo_choices(), demo_choices()
    assert first == again
    assert len(first) == 300
    assert all(1 <= len(keys) <= 4 for _area, keys in first)
    assert {area for area, _ in first} == {
        "riverside", "canal-side", "old-market", "st-annes", "hillfoot", "moorfield",
    }  # fmt: skip


@pytest.mark.slow
def test_demo_round_is_closed_with_a_valid_board_and_equity_settings(db, capsys):
    seed_foundation(db.session)
    seed_results(db.session)
    seed_results(db.session)  # a second run adds nothing
    rnd = db.session.scalar(select(Round).where(Round.slug == RESULTS_ROUND_SLUG))
    assert rnd.phase == "closed" and rnd.allocation_rule == "equal-shares"
    assert counts(db.session, rnd.id) == {"ballots": 300, "sealed": 0, "participation": 300}
    assert verify_round_chain(db.session, rnd.id).ok
    e = service.round_to_election(db.session, rnd.id)
    spec = service.equity_spec(db.session, e)
    assert spec.floor_share == Fraction(3, 10) and spec.organisation_cap == 4_000_000
    by_rule = {s.rule: s for s in service.compare_rules(e, spec)}
    assert len({s.funded for s in by_rule.values()}) == 5  # every rule differs
    floors = e.equity_params(spec).area_floors(e.instance.budget)
    for area_id, floor in floors.items():
        funded = sum(
            (
                Fraction(b.pence)
                for b in by_rule["equity"].by_area
                if b.label == e.area(area_id).name
            ),
            Fraction(0),
        )
        assert funded >= floor
    assert "closed with 300 ballots" in capsys.readouterr().out

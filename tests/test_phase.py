"""The Phase enum: its order, its predicates, and Round.phase reading back as a Phase."""

from __future__ import annotations

from decide.models import PHASES, Phase, Round


def _where(predicate: str) -> set[str]:
    return {p.value for p in Phase if getattr(p, predicate)}


def test_phases_are_in_the_order_a_round_moves_through_them():
    order = ("draft", "proposals", "deliberation", "voting", "closed", "published", "delivery")
    assert order == PHASES
    assert [p.position for p in Phase] == list(range(7))


def test_each_predicate_names_its_phases():
    assert _where("is_draft") == {"draft"}
    assert _where("proposals_open") == {"proposals"}
    assert _where("under_review") == {"proposals", "deliberation"}
    assert _where("voting_open") == {"voting"}
    assert _where("voting_started") == {"voting", "closed", "published", "delivery"}
    assert _where("awaiting_publication") == {"closed"}
    assert _where("counted") == {"closed", "published", "delivery"}
    assert _where("results_public") == {"published", "delivery"}


def test_round_phase_is_a_phase_when_set_from_a_string_and_when_read_back(db):
    rnd = Round(title="Phase", slug="phase", budget_pence=100, phase="voting")
    assert rnd.phase is Phase.VOTING and rnd.phase.voting_open
    rnd.phase = "closed"
    assert rnd.phase is Phase.CLOSED and rnd.phase_label == "Voting closed"
    db.session.add(rnd)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Round, rnd.id).phase is Phase.CLOSED

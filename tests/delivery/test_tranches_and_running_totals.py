"""Bugs found in issue 16's new-user phone walk-through.

1. A milestone whose tranche is already covered was offered "Pay the tranche" again (with the
   amount the later milestone is owed) as soon as a later milestone was confirmed: tranche_due
   computed every confirmed milestone as if it were the last one confirmed. It now allocates
   what was paid to the confirmed milestones in milestone order.
2. A running total ("latest") reported by decile can also be reported with no decile; the two
   are then separate breakdowns and the dashboard adds both, counting people twice.
"""

from __future__ import annotations

import datetime as dt

import pytest

from decide.services import delivery, delivery_reports, learning_cache, ledger
from decide.services.delivery import MilestoneDraft
from decide.services.delivery_reports import FigureDraft, MeasureDraft
from decide.services.errors import DomainError, InvalidInput
from decide.services.learning_views import impact_totals

TODAY = dt.date.today()


def test_a_covered_tranche_is_not_offered_again_when_a_later_milestone_is_confirmed(db, delivered):
    d = delivered
    p1 = d.project("P1")
    first = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Set up", TODAY, 1_000), d.facilitator
    )
    second = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Halfway", TODAY, 1_000), d.facilitator
    )
    # Paid ahead, with a reason: 1,500 covers the first tranche and half the second.
    form = ledger.PaymentForm("P1", 1_500, TODAY, "BACS-1", "Fay", "Half up front", None)
    ledger.record_payment(db.session, d.round, form, d.facilitator)
    delivery.confirm_milestone(db.session, first, d.facilitator)
    assert delivery.tranche_due(db.session, first) == 0  # "Its tranche is paid"
    delivery.confirm_milestone(db.session, second, d.facilitator)
    assert delivery.tranche_due(db.session, second) == 500
    # The first tranche was paid before; confirming the second must not make it owed again
    # (the milestones page offers "Pay the tranche of “Set up”" for 500, tied to the wrong
    # milestone).
    assert delivery.tranche_due(db.session, first) == 0
    third = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Done", TODAY, 2_000), d.facilitator
    )
    assert delivery.tranche_due(db.session, third) == 2_000  # nothing paid ahead of it
    ledger.record_payment(
        db.session, d.round,
        ledger.PaymentForm("P1", 500, TODAY, "BACS-2", "Fay", "", second.id),
        d.facilitator,
    )  # fmt: skip
    assert [delivery.tranche_due(db.session, m) for m in (first, second)] == [0, 0]


@pytest.fixture
def _fresh_cache():
    learning_cache.clear()
    yield
    learning_cache.clear()


def test_a_running_total_by_decile_is_not_counted_twice_when_its_decile_is_left_out(
    db, delivered, _fresh_cache
):
    d = delivered
    reached = delivery_reports.add_measure(
        db.session, d.round,
        MeasureDraft("People reached", "people", by_decile=True, aggregation="latest"),
        d.facilitator,
    )  # fmt: skip
    delivery_reports.report_figure(
        db.session, d.project("P1"), FigureDraft(reached.id, "40", decile=2), d.reporter
    )
    # The organisation reports its running total again, forgetting the (optional) decile.
    try:
        delivery_reports.report_figure(
            db.session, d.project("P1"), FigureDraft(reached.id, "60"), d.reporter
        )
    except (DomainError, InvalidInput):
        return  # refusing a running total by decile without its decile is one fix
    learning_cache.clear()
    facts = learning_cache.current_facts(db.session)
    total = {t.measure: t for t in impact_totals(facts.impact)}["People reached"].total
    # 60 people so far is P1's running total; today the dashboard shows 100 (40 + 60).
    assert total <= 60

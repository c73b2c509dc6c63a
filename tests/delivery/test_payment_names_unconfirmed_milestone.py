"""A payment that names a milestone is paid "against" it, which the ledger keeps
for ever and which later blocks withdrawing that milestone's confirmation. Naming a milestone
that is not confirmed (even "not started") is paying ahead of delivery: refused without a
reason, even when another milestone's confirmed tranche covers the amount."""

from __future__ import annotations

import datetime as dt

import pytest

from decide.services import delivery, ledger
from decide.services.delivery import MilestoneDraft
from decide.services.errors import DomainError

TODAY = dt.date.today()


def test_a_payment_cannot_name_an_unconfirmed_milestone_without_a_reason(db, delivered):
    d = delivered
    p1 = d.project("P1")
    first = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Shelf installed", TODAY, 100_000), d.facilitator
    )
    delivery.confirm_milestone(db.session, first, d.facilitator)
    final = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Final report", TODAY, 100_000), d.facilitator
    )
    assert not final.confirmed and final.status == "not-started"
    form = ledger.PaymentForm("P1", 100_000, TODAY, "BACS-1", "Fay", "", final.id)
    with pytest.raises(DomainError):
        ledger.record_payment(db.session, d.round, form, d.facilitator)

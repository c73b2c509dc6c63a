"""Withdrawing a milestone confirmation made by mistake: with a reason, who and when, shown in
the milestone's history on the project page; refused once a payment rests on it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from decide.models import MilestoneWithdrawal
from decide.services import delivery, learning_cache, ledger
from decide.services.delivery import MilestoneDraft
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from tests.helpers.sessions import log_in

TODAY = dt.date.today()


def _withdrawals(db) -> int:
    return db.session.scalar(select(func.count()).select_from(MilestoneWithdrawal))


def _confirmed(db, d, title="Shelf installed", tranche=100_000):
    m = delivery.add_milestone(
        db.session, d.round, d.project("P1"), MilestoneDraft(title, TODAY, tranche), d.facilitator
    )
    delivery.confirm_milestone(db.session, m, d.facilitator)
    return m


def _pay(db, d, pence, reason="", milestone_id=None):
    form = ledger.PaymentForm("P1", pence, TODAY, "BACS-9", "Fay", reason, milestone_id)
    return ledger.record_payment(db.session, d.round, form, d.facilitator)


def test_a_mistaken_confirmation_is_withdrawn_with_its_reason(db, delivered):
    d = delivered
    m = _confirmed(db, d)
    with pytest.raises(NotAllowed):
        delivery.withdraw_confirmation(db.session, m, "Oops", "on-track", d.reporter)
    with pytest.raises(InvalidInput) as refused:
        delivery.withdraw_confirmation(db.session, m, " \u200b ", "on-track", d.facilitator)
    assert set(refused.value.errors) == {"reason"}
    assert m.confirmed and _withdrawals(db) == 0
    seen = learning_cache.version(db.session)
    row = delivery.withdraw_confirmation(
        db.session, m, "Confirmed by mistake: the shelf is not in", "delayed", d.facilitator
    )
    assert not m.confirmed and m.status == "delayed" and m.confirmed_by_id is None
    assert learning_cache.version(db.session) != seen  # the dashboard's status is rebuilt
    assert (row.withdrawn_by_id, row.confirmed_by_id) == (d.facilitator.id, d.facilitator.id)
    assert delivery.confirmed_tranches(db.session, d.project("P1").id) == 0
    with pytest.raises(DomainError, match="not confirmed"):
        delivery.withdraw_confirmation(db.session, m, "Again", "on-track", d.facilitator)
    delivery.confirm_milestone(db.session, m, d.facilitator)  # it can be confirmed again
    assert m.confirmed and _withdrawals(db) == 1


def test_a_confirmation_a_payment_rests_on_stands(db, delivered):
    d = delivered
    m = _confirmed(db, d)
    _pay(db, d, 100_000, milestone_id=m.id)
    blocker = delivery.withdrawal_blocker(db.session, m)
    assert blocker is not None
    assert "A payment of £1,000.00 was made against this milestone on" in blocker
    assert "ledger payment 1" in blocker
    with pytest.raises(DomainError, match="was made against this milestone"):
        delivery.withdraw_confirmation(db.session, m, "Mistake", "on-track", d.facilitator)
    assert m.confirmed and _withdrawals(db) == 0


def test_a_payment_without_a_reason_within_the_tranches_also_rests_on_it(db, delivered):
    d = delivered
    m = _confirmed(db, d)
    _pay(db, d, 40_000)  # no milestone named, no reason: paid on the strength of the tranche
    with pytest.raises(DomainError, match="without a recorded reason"):
        delivery.withdraw_confirmation(db.session, m, "Mistake", "on-track", d.facilitator)
    other = _confirmed(db, d, "Second", 50_000)
    # The first milestone's tranche still covers the payment: the second may be withdrawn.
    assert delivery.withdrawal_blocker(db.session, other) is None


def test_the_withdrawal_page_and_the_public_history(app, db, delivered):
    d = delivered
    m = _confirmed(db, d)
    base = f"/rounds/{d.round.id}/projects/P1"
    url = f"{base}/milestones/{m.id}/withdraw-confirmation"
    fac = log_in(app.test_client(), d.facilitator)
    assert "Withdraw the confirmation of “Shelf installed”" in fac.get(
        f"{base}/milestones"
    ).get_data(as_text=True)
    response = fac.post(url, data={"reason": "", "status": "on-track"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="error-summary"' in html
    assert 'aria-describedby="reason-hint reason-error"' in html
    assert (
        html.split('id="reason-error"', 1)[1]
        .split("</p>", 1)[0]
        .endswith("Say why the confirmation is withdrawn")
    )
    assert m.confirmed and _withdrawals(db) == 0
    response = fac.post(url, data={"reason": "Confirmed the wrong milestone", "status": "on-track"})
    assert response.status_code == 303
    page = app.test_client().get(base).get_data(as_text=True)
    assert "The confirmation was withdrawn on" in page
    assert f"by {d.facilitator.display_name}, because: Confirmed the wrong milestone" in page
    # Confirmed again and paid: the page no longer offers the form, and says why.
    delivery.confirm_milestone(db.session, m, d.facilitator)
    _pay(db, d, 100_000, milestone_id=m.id)
    listing = fac.get(f"{base}/milestones").get_data(as_text=True)
    assert "cannot be withdrawn: a payment rests on it" in listing
    html = fac.get(url).get_data(as_text=True)
    assert "was made against this milestone" in html and 'name="reason"' not in html
    fac.post(url, data={"reason": "Mistake", "status": "on-track"})
    assert m.confirmed and _withdrawals(db) == 1

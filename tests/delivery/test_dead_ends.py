"""Forms that can no longer apply are not offered: a project paid in full is not in the pay
form (and a round paid in full gets no form at all), and the milestone form says how much of
the allocation is still free to tie to a tranche."""

from __future__ import annotations

import datetime as dt

from decide.services import delivery, ledger
from decide.services.delivery import MilestoneDraft
from tests.helpers.sessions import log_in

TODAY = dt.date.today()


def _pay_in_full(db, d, code, pence):
    form = ledger.PaymentForm(code, pence, TODAY, "B-1", "Fay", "Paid ahead, as agreed")
    ledger.record_payment(db.session, d.round, form, d.facilitator)


def test_a_project_paid_in_full_is_not_offered_for_payment(app, db, delivered):
    d = delivered
    fac = log_in(app.test_client(), d.facilitator)
    url = f"/rounds/{d.round.id}/ledger/pay"
    assert '<option value="P1">P1, £4,000.00 left · ' in fac.get(url).get_data(as_text=True)
    assert f'href="{url}"' in fac.get(f"/rounds/{d.round.id}/ledger").get_data(as_text=True)
    _pay_in_full(db, d, "P1", 400_000)
    html = fac.get(url).get_data(as_text=True)
    assert 'value="P1"' not in html and 'value="P2"' in html
    _pay_in_full(db, d, "P2", 300_000)
    _pay_in_full(db, d, "P3", 250_000)
    html = fac.get(url).get_data(as_text=True)
    assert "nothing left to pay" in html and 'name="amount"' not in html
    html = fac.get(f"/rounds/{d.round.id}/ledger").get_data(as_text=True)
    assert "Every funded project is paid its full allocation." in html
    assert f'href="{url}"' not in html


def test_the_milestone_form_says_how_much_is_free_to_tie(app, db, delivered):
    d = delivered
    fac = log_in(app.test_client(), d.facilitator)
    url = f"/rounds/{d.round.id}/projects/P1/milestones"
    assert "Up to £4,000.00 of the allocation is not yet tied" in fac.get(url).get_data(
        as_text=True
    )
    draft = MilestoneDraft("Everything", TODAY, 400_000)
    delivery.add_milestone(db.session, d.round, d.project("P1"), draft, d.facilitator)
    html = fac.get(url).get_data(as_text=True)
    assert "tranche can only be 0 (a step with no payment)" in html

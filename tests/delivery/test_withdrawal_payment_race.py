"""Withdrawing a milestone's confirmation races a payment resting on it.

`withdraw_confirmation` reads the ledger (no payment yet: nothing blocks it) and then writes;
`record_payment` reads the confirmed tranches (still confirmed: no reason needed) and then
writes. Neither locked anything the other took, so when a payment is committed between the
withdrawal's check and its commit (two facilitators, or a double-click on two tabs, on
PostgreSQL's read committed), both would succeed: the ledger would keep for ever a payment
without a reason beyond the project's confirmed tranches, the very thing issue 16 forbids.
Both now take the project's money lock (`delivery.lock_project_money`) before checking.

The interleaving is forced: the withdrawal's check is wrapped so that another session pays
right after it. With a fix (both paths lock the project, or the withdrawal re-checks under a
lock), the other session's payment either waits and is refused, or times out: either way
the invariant below holds.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from decide.models import Round, User
from decide.services import delivery, ledger
from decide.services.delivery import MilestoneDraft

TODAY = dt.date.today()


def test_a_payment_committed_during_a_withdrawal_never_leaves_an_unreasoned_overpayment(
    db, delivered, monkeypatch
):
    d = delivered
    p1 = d.project("P1")
    m = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Shelf installed", TODAY, 100_000), d.facilitator
    )
    delivery.confirm_milestone(db.session, m, d.facilitator)
    round_id, facilitator_id = d.round.id, d.facilitator.id
    original = delivery.withdrawal_blocker

    def check_then_pay(session, milestone):
        blocker = original(session, milestone)
        other = Session(db.engine)
        try:
            if other.bind.dialect.name == "postgresql":
                other.execute(text("SET lock_timeout = '2s'"))
            else:  # wait for SQLite's write lock briefly, not the app's 5 s
                other.execute(text("PRAGMA busy_timeout = 200"))
            rnd = other.get(Round, round_id)
            actor = other.get(User, facilitator_id)
            form = ledger.PaymentForm("P1", 100_000, TODAY, "BACS-R", "Fay", "", None)
            try:
                ledger.record_payment(other, rnd, form, actor)
            except Exception:  # refused or timed out waiting: the fix's outcome
                other.rollback()
        finally:
            other.close()
        return blocker

    monkeypatch.setattr(delivery, "withdrawal_blocker", check_then_pay)
    try:
        delivery.withdraw_confirmation(db.session, m, "Confirmed by mistake", "delayed",
                                       d.facilitator)  # fmt: skip
    except Exception:
        db.session.rollback()
    db.session.expire_all()
    payments = delivery.project_payments(db.session, round_id, "P1")
    unreasoned = sum(p.amount_pence for p in payments if not p.reason)
    assert unreasoned <= delivery.confirmed_tranches(db.session, p1.id)

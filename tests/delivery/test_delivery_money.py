"""The money a project page shows as paid agrees to the penny with the ledger, over random
payments (some refused), because both read the same ledger rows."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from decide.models import LedgerPayment
from decide.services import delivery, ledger
from decide.services.errors import DomainError

PAYMENTS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3", "P4"]),  # P4 was not funded: always refused
        st.integers(min_value=1, max_value=450_000),
        st.booleans(),  # give a reason
    ),
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payments=PAYMENTS)
def test_paid_by_project_agrees_with_the_ledger_to_the_penny(db, delivered, payments):
    d = delivered
    db.session.execute(delete(LedgerPayment).where(LedgerPayment.round_id == d.round.id))
    db.session.commit()
    accepted: dict[str, int] = {}
    allocated = {p.code: p.allocated for p in ledger.spend_by_project(db.session, d.round)}
    for code, pence, give_reason in payments:
        form = ledger.PaymentForm(code, pence, dt.date.today(), "REF", "Fay",
                                  "Paid ahead of delivery" if give_reason else "")  # fmt: skip
        try:
            ledger.record_payment(db.session, d.round, form, d.facilitator)
        except DomainError:
            continue
        accepted[code] = accepted.get(code, 0) + pence
    paid = delivery.paid_by_project(db.session, d.round.id)
    chain = ledger.ledger_value(db.session, d.round, signed_only=False)
    assert paid == accepted
    assert paid == {c: chain.paid(c) for c in {e.project_id for e in chain.entries}}
    assert sum(paid.values()) == sum(e.amount_pence for e in chain.entries)
    assert all(paid.get(code, 0) <= allocated.get(code, 0) for code in paid)
    # No confirmed milestones here: every accepted payment carried its reason.
    assert all(row.reason for row in ledger.payments(db.session, d.round.id))
    page = {m.project.code: m.paid for m in delivery.money_by_project(db.session, d.round)}
    assert page == {code: paid.get(code, 0) for code in ("P1", "P2", "P3")}

"""The money a project page shows as paid agrees to the penny with the ledger, over random
payments and random confirmed milestones, because both read the same ledger rows; and the
ledger accepts exactly the payments the rules allow (within the allocation, and within the
confirmed milestones' tranches unless a reason is given)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from decide.models import LedgerPayment, Milestone
from decide.services import delivery, learning, learning_views, ledger
from decide.services.delivery import MilestoneDraft
from decide.services.errors import DomainError

PAYMENTS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3", "P4"]),  # P4 was not funded: always refused
        st.integers(min_value=1, max_value=450_000),
        st.booleans(),  # give a reason
    ),
    max_size=8,
)
# Tranches planned for P1 and P2, and whether the facilitator has confirmed each.
MILESTONES = st.lists(
    st.tuples(st.sampled_from(["P1", "P2"]), st.integers(0, 150_000), st.booleans()),
    max_size=3,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(milestones=MILESTONES, payments=PAYMENTS)
# The boundary: exactly the confirmed tranche needs no reason; a penny more does.
@example(milestones=[("P1", 100_000, True)], payments=[("P1", 100_000, False), ("P1", 1, False)])
def test_paid_by_project_agrees_with_the_ledger_to_the_penny(db, delivered, milestones, payments):
    d = delivered
    db.session.execute(delete(LedgerPayment).where(LedgerPayment.round_id == d.round.id))
    db.session.execute(delete(Milestone))
    db.session.commit()
    confirmed: dict[str, int] = {}
    for code, tranche, done in milestones:
        draft = MilestoneDraft("Step", dt.date.today(), tranche)
        try:
            m = delivery.add_milestone(db.session, d.round, d.project(code), draft, d.facilitator)
        except DomainError:  # the tranches would exceed the allocation: nothing planned
            continue
        if done:
            delivery.confirm_milestone(db.session, m, d.facilitator)
            confirmed[code] = confirmed.get(code, 0) + tranche
    allocated = {p.code: p.allocated for p in ledger.spend_by_project(db.session, d.round)}
    accepted: dict[str, int] = {}
    for code, pence, give_reason in payments:
        after = accepted.get(code, 0) + pence
        allowed = (
            code in allocated
            and after <= allocated[code]
            and (give_reason or after <= confirmed.get(code, 0))
        )
        form = ledger.PaymentForm(code, pence, dt.date.today(), "REF", "Fay",
                                  "Paid ahead of delivery" if give_reason else "")  # fmt: skip
        try:
            ledger.record_payment(db.session, d.round, form, d.facilitator)
        except DomainError:
            assert not allowed, (code, pence, give_reason)
            continue
        assert allowed, (code, pence, give_reason)
        accepted[code] = after
    paid = delivery.paid_by_project(db.session, d.round.id)
    chain = ledger.ledger_value(db.session, d.round, signed_only=False)
    assert paid == accepted
    assert paid == {c: chain.paid(c) for c in {e.project_id for e in chain.entries}}
    assert sum(paid.values()) == sum(e.amount_pence for e in chain.entries)
    page = {m.project.code: m.paid for m in delivery.money_by_project(db.session, d.round)}
    assert page == {code: paid.get(code, 0) for code in ("P1", "P2", "P3")}
    # The learning dashboard's figures (per project, and per decile) agree with the ledger too.
    facts = learning.facts(db.session)
    shown = {p.code: p.paid for p in facts.projects if p.round_slug == d.round.slug}
    assert shown == {code: paid.get(code, 0) for code in shown}
    assert shown and set(shown) >= set(paid), shown  # the round is on the dashboard
    per_decile = learning_views.money_by_decile(facts, learning_views.Filters(round=d.round.slug))
    placed = sum(p.paid for p in facts.projects if p.round_slug == d.round.slug and p.area_slug)
    assert sum(row.paid for row in per_decile) == placed

"""What the delivery demo must hold, checked after the whole demo is seeded (called from
tests/services/test_demo.py, which seeds it once for all its checks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from audits.annex import DeliveryAnnex
from decide.demo.delivery import STAGES
from decide.models import Photo, Retrospective, Round
from decide.services import delivery, delivery_reports, ledger


def check_delivery_demo(db: Any, client: Any) -> None:
    """Three past rounds with delivery underway or complete, as issue 16 part 5 asks."""
    rounds = [db.session.scalar(select(Round).where(Round.slug == slug)) for slug, _ in STAGES]
    assert all(r is not None and r.phase.results_public for r in rounds)
    for rnd, (_, done) in zip(rounds, STAGES, strict=True):
        money = delivery.money_by_project(db.session, rnd)
        assert money and all(len(delivery.milestones(db.session, m.project.id)) == 3 for m in money)
        paid = delivery.paid_by_project(db.session, rnd.id)
        chain = ledger.ledger_value(db.session, rnd, signed_only=False)
        assert sum(paid.values()) == sum(e.amount_pence for e in chain.entries)
        assert all(m.paid >= m.confirmed for m in money)  # tranches of confirmed milestones paid
        if done == 3:
            assert all(m.status == "completed" and m.paid == m.allocated for m in money)
        assert len(delivery_reports.measures(db.session, rnd.id)) == 4
        for m in money:
            assert delivery_reports.updates(db.session, m.project.id)
            assert delivery_reports.figures(db.session, m.project.id)
    assert len(delivery_reports.shown_stories(db.session)) == 2
    assert len(delivery_reports.shown_stories(db.session, open_data=True)) == 2  # consented
    assert len(db.session.scalars(select(Retrospective)).all()) == 2
    photos = db.session.scalars(select(Photo)).all()
    assert photos and all(p.data[:2] == b"\xff\xd8" and b"Exif" not in p.data for p in photos)
    # The published round's checkpoint is drawn up after delivery is seeded, so the annex the
    # panel co-signed (and edition 2 prints) has its milestones and impact figures.
    published = rounds[-1]
    cp = ledger.checkpoints(db.session, published.id)[-1]
    assert cp.signed_at is not None and cp.annex_json is not None
    annex = DeliveryAnnex.from_json_bytes(cp.annex_json)
    assert sum(n for _, n in annex.milestones) and annex.impact
    assert cp.count == len(ledger.payments(db.session, published.id))
    first = delivery.money_by_project(db.session, rounds[0])[0].project
    page = client.get(f"/rounds/{rounds[0].id}/projects/{first.code}").get_data(as_text=True)
    assert "/photos/" in page and "Ledger payment 1" in page

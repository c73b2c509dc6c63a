"""Delivery use cases: tranches and reasons in the ledger, all-or-nothing updates, figures
and consent."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from decide.models import ImpactFigure, LedgerPayment, Photo, ProgressUpdate, Story
from decide.services import delivery, delivery_reports, ledger
from decide.services.delivery import MilestoneDraft, TrancheRefused
from decide.services.delivery_reports import FigureDraft, MeasureDraft, StoryDraft, UpdateDraft
from decide.services.errors import DomainError, NotAllowed
from decide.services.photos import PhotoRefused, PhotoUpload
from tests.delivery.conftest import jpeg_with_gps

PAID_ON = dt.date.today()


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _pay(db, d, code, pence, reason="", milestone_id=None):
    form = ledger.PaymentForm(code, pence, PAID_ON, "BACS-1", "Fay Facilitator", reason,
                              milestone_id)  # fmt: skip
    return ledger.record_payment(db.session, d.round, form, d.facilitator)


def test_a_payment_beyond_confirmed_tranches_needs_a_reason(db, delivered):
    d = delivered
    p1 = d.project("P1")
    first = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Shelf installed", PAID_ON, 150_000), d.facilitator
    )
    with pytest.raises(
        TrancheRefused, match=re.escape("beyond the £0.00 of its confirmed milestones")
    ):
        _pay(db, d, "P1", 100_000)
    assert _count(db, LedgerPayment) == 0
    delivery.confirm_milestone(db.session, first, d.facilitator)
    row = _pay(db, d, "P1", 150_000, milestone_id=first.id)  # exactly the confirmed tranche
    assert (row.reason, row.milestone_id) == ("", first.id)
    with pytest.raises(TrancheRefused, match=re.escape("brings P1 to £1,500.01 paid")):
        _pay(db, d, "P1", 1)
    ahead = _pay(db, d, "P1", 50_000, reason="  Stock bought before the second milestone ")
    assert ahead.reason == "Stock bought before the second milestone"
    assert delivery.paid_by_project(db.session, d.round.id) == {"P1": 200_000}
    with pytest.raises(TrancheRefused, match="milestone of the project paid"):
        _pay(db, d, "P2", 1, reason="r", milestone_id=first.id)
    assert _count(db, LedgerPayment) == 2


def test_tranches_cannot_exceed_the_allocation_and_only_facilitators_confirm(db, delivered):
    d = delivered
    p1 = d.project("P1")
    draft = MilestoneDraft("Everything", PAID_ON, 400_001)
    with pytest.raises(
        DomainError, match=re.escape("more than the project's allocation of £4,000.00")
    ):
        delivery.add_milestone(db.session, d.round, p1, draft, d.facilitator)
    m = delivery.add_milestone(db.session, d.round, p1, MilestoneDraft("Half", PAID_ON, 200_000),
                               d.facilitator)  # fmt: skip
    with pytest.raises(NotAllowed):
        delivery.confirm_milestone(db.session, m, d.reporter)
    with pytest.raises(NotAllowed):
        delivery.set_status(db.session, m, "delayed", d.other)
    delivery.set_status(db.session, m, "delayed", d.reporter)
    assert delivery.money_by_project(db.session, d.round)[0].status == "delayed"
    delivery.confirm_milestone(db.session, m, d.facilitator)
    assert m.status == "completed" and m.confirmed_by_id == d.facilitator.id
    assert delivery.confirmed_tranches(db.session, p1.id) == 200_000


def _rows(db) -> tuple[int, int, int]:
    return (_count(db, ProgressUpdate), _count(db, Photo), _count(db, ImpactFigure))


def test_an_update_with_photos_is_stored_without_their_metadata(db, delivered):
    d = delivered
    photo = PhotoUpload(jpeg_with_gps(), "shelf.jpg", "The new chilled shelf")
    update = delivery_reports.post_update(
        db.session, d.project("P1"), UpdateDraft("Shelf installed.", None, (photo, photo)),
        d.reporter,
    )  # fmt: skip
    assert [p.alt_text for p in update.photos] == ["The new chilled shelf"] * 2
    assert all(b"Exif" not in p.data and b"GPS" not in p.data for p in update.photos)
    assert _rows(db) == (1, 2, 0)


@pytest.mark.parametrize(
    ("photos", "error", "message"),
    [
        ((PhotoUpload(b"\0" * (30 * 1024 * 1024), "big.jpg", "Big"),), PhotoRefused, "10 MB"),
        ((PhotoUpload(b"MZ\x90\x00 not an image", "a.exe", "Alt"),), PhotoRefused,
         "not an image"),
        ((PhotoUpload(jpeg_with_gps(), "a.jpg", "Good"), PhotoUpload(jpeg_with_gps(), "b.jpg", "")),
         PhotoRefused, "Describe photo 2 in its alt text"),
        ((PhotoUpload(jpeg_with_gps(), "a.jpg", "Alt"),) * 5, DomainError, "at most 4 photos"),
    ],
)  # fmt: skip
def test_a_bad_photo_stores_nothing_of_the_update(db, delivered, photos, error, message):
    before = _rows(db)
    with pytest.raises(error, match=message):
        delivery_reports.post_update(
            db.session, delivered.project("P1"), UpdateDraft("Text", None, photos),
            delivered.reporter,
        )  # fmt: skip
    assert _rows(db) == before == (0, 0, 0)


def test_only_the_delivering_organisation_reports(db, delivered):
    d = delivered
    for actor in (d.other, d.citizen, d.facilitator):
        with pytest.raises(NotAllowed, match="organisation delivering this project"):
            delivery_reports.post_update(db.session, d.project("P1"), UpdateDraft("x"), actor)
    assert _rows(db) == (0, 0, 0)


def test_a_negative_figure_is_refused_where_the_measure_cannot_be_negative(db, delivered):
    d = delivered
    reached = delivery_reports.add_measure(
        db.session, d.round, MeasureDraft("People reached", "people", by_decile=True),
        d.facilitator,
    )  # fmt: skip
    wellbeing = delivery_reports.add_measure(
        db.session, d.round, MeasureDraft("WEMWBS change", "points", may_be_negative=True),
        d.facilitator,
    )  # fmt: skip
    with pytest.raises(DomainError, match="“People reached” cannot be negative"):
        delivery_reports.report_figure(
            db.session, d.project("P1"), FigureDraft(reached.id, "-5"), d.reporter
        )
    with pytest.raises(DomainError, match=re.escape("like 120, 1,234 or 3.5")):
        delivery_reports.report_figure(
            db.session, d.project("P1"), FigureDraft(reached.id, "1e400000"), d.reporter
        )
    with pytest.raises(DomainError, match="not broken down by area"):
        delivery_reports.report_figure(
            db.session, d.project("P1"), FigureDraft(reached.id, "5", area_id=1), d.reporter
        )
    assert _rows(db) == (0, 0, 0)
    delivery_reports.report_figure(
        db.session, d.project("P1"), FigureDraft(reached.id, "1,200", decile=1), d.reporter
    )
    delivery_reports.report_figure(
        db.session, d.project("P1"), FigureDraft(wellbeing.id, "-1.25"), d.reporter
    )
    values = [f.value for f in delivery_reports.figures(db.session, d.project("P1").id)]
    assert values == ["1200", "-1.25"]


def test_withdrawing_consent_hides_the_story(db, delivered):
    d = delivered
    story = delivery_reports.add_story(
        db.session, d.project("P1"),
        StoryDraft("Fresh food", "I cook again.", "Mo Resident", PAID_ON, "Project page and "
                   "reports", PhotoUpload(jpeg_with_gps(), "mo.jpg", "Mo in her kitchen"),
                   on_page=True, open_data=True),
        d.reporter,
    )  # fmt: skip
    assert delivery_reports.shown_stories(db.session, round_id=d.round.id) == [story]
    with pytest.raises(NotAllowed):
        delivery_reports.withdraw_consent(db.session, story, d.other)
    delivery_reports.withdraw_consent(db.session, story, d.reporter)
    assert delivery_reports.shown_stories(db.session, round_id=d.round.id) == []
    assert delivery_reports.shown_stories(db.session, project_id=d.project("P1").id) == []
    assert _count(db, Story) == 1  # kept, with its consent record, but never shown


def test_the_retrospective_and_a_carry_over_with_the_proposer_s_consent(db, delivered):
    from decide.models import Proposal
    from decide.services import retrospectives
    from decide.services.retrospectives import RetrospectiveDraft
    from tests.web.world import make_proposal, make_round

    d = delivered
    draft = RetrospectiveDraft("Paper ballots", "Late payments", "Dated milestones", "Fay")
    with pytest.raises(NotAllowed):
        retrospectives.write_retrospective(db.session, d.round, draft, d.citizen)
    retrospectives.write_retrospective(db.session, d.round, draft, d.facilitator)
    assert retrospectives.retrospective(db.session, d.round.id).what_did_not == "Late payments"
    next_round = make_round(db.session, "Next year", "proposals")
    next_round.areas = list(d.round.areas)
    unfunded = make_proposal(db.session, d.round, d.citizen, "Bench in the park")
    d.project("P4").proposal_id = unfunded.id  # P4 was on the ballot and not funded
    db.session.commit()
    assert unfunded in retrospectives.unfunded(db.session, d.round)
    with pytest.raises(NotAllowed, match="Only the person who made the proposal"):
        retrospectives.carry_over(db.session, unfunded, next_round, d.facilitator)
    copy = retrospectives.carry_over(db.session, unfunded, next_round, d.citizen)
    assert (copy.round_id, copy.title, copy.total_pence) == (
        next_round.id, "Bench in the park", unfunded.total_pence,
    )  # fmt: skip
    with pytest.raises(DomainError, match="already carried"):
        retrospectives.carry_over(db.session, unfunded, next_round, d.citizen)
    assert db.session.get(Proposal, copy.id).versions[0].number == 1

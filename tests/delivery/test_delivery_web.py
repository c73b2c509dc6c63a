"""Delivery over HTTP: bad input gets a clear message and stores nothing; the public project
page shows where the money went; photos are served without metadata under the strict CSP."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from decide.models import LedgerPayment, Photo, ProgressUpdate, Story
from decide.services import delivery, delivery_reports, ledger
from decide.services.delivery import MilestoneDraft
from decide.services.delivery_reports import MeasureDraft, StoryDraft
from decide.services.photos import PhotoUpload
from tests.delivery.conftest import jpeg_with_gps
from tests.helpers.sessions import log_in


def _rows(db) -> tuple[int, int]:
    count = lambda m: db.session.scalar(select(func.count()).select_from(m))  # noqa: E731
    return count(ProgressUpdate), count(Photo)


def _update(client, rnd, code, photo=None, alt="Volunteers stocking the shelf", filename="a.jpg"):
    data = {"text": "The shelf is in.", "milestone_id": "", "alt_1": alt}
    if photo is not None:
        data["photo_1"] = (io.BytesIO(photo), filename)
    return client.post(f"/rounds/{rnd.id}/projects/{code}/updates/new", data=data,
                       content_type="multipart/form-data")  # fmt: skip


def test_bad_updates_get_a_clear_message_and_store_nothing(app, db, delivered):
    d = delivered
    client = log_in(app.test_client(), d.reporter)
    cases = [
        (b"\xff\xd8" + b"\0" * (30 * 1024 * 1024), "Alt", 422, "larger than 10 MB"),
        (b"#!/bin/sh\necho not a photo\n", "Alt", 422, "not an image we can read"),
        (jpeg_with_gps(), "", 422, "Describe the photo in its alt text"),
    ]
    for photo, alt, status, message in cases:
        response = _update(client, d.round, "P1", photo, alt)
        text = response.get_data(as_text=True)
        assert response.status_code == status and message in text
        assert 'id="error-summary"' in text
        assert _rows(db) == (0, 0)
    other = log_in(app.test_client(), d.other)  # Moorfield Harriers do not deliver P1
    assert _update(other, d.round, "P1", jpeg_with_gps()).status_code == 403
    assert _rows(db) == (0, 0)
    assert _update(client, d.round, "P1", jpeg_with_gps()).status_code == 303
    assert _rows(db) == (1, 1)


def test_a_negative_figure_is_refused_on_the_form(app, db, delivered):
    d = delivered
    measure = delivery_reports.add_measure(
        db.session, d.round, MeasureDraft("Sessions held", "sessions"), d.facilitator
    )
    client = log_in(app.test_client(), d.reporter)
    response = client.post(
        f"/rounds/{d.round.id}/projects/P1/figures/new",
        data={"measure_id": str(measure.id), "value": "-3", "milestone_id": "", "area_id": "",
              "decile": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert "“Sessions held” cannot be negative" in response.get_data(as_text=True)
    assert delivery_reports.figures(db.session, d.project("P1").id) == []


def test_the_project_page_follows_the_money_and_hides_withdrawn_stories(app, db, delivered):
    d = delivered
    p1 = d.project("P1")
    m = delivery.add_milestone(db.session, d.round, p1, MilestoneDraft("Shelf", dt.date.today(),
                               100_000), d.facilitator)  # fmt: skip
    fac = log_in(app.test_client(), d.facilitator)
    planned = fac.get(f"/rounds/{d.round.id}/projects/P1/milestones").get_data(as_text=True)
    assert "has not reported this milestone complete" in planned  # it says: not started
    assert (
        fac.post(f"/rounds/{d.round.id}/projects/P1/milestones/{m.id}/confirm").status_code == 303
    )
    pay_page = fac.get(f"/rounds/{d.round.id}/ledger/pay?milestone={m.id}").get_data(as_text=True)
    assert 'value="1000"' in pay_page and f'<option selected value="{m.id}">' in pay_page
    refused = fac.post(
        f"/rounds/{d.round.id}/ledger/pay",
        data={
            "project_code": "P1",
            "amount": "1500",
            "paid_on": dt.date.today().isoformat(),
            "bank_reference": "B-1",
            "approver": "Fay",
            "milestone_id": str(m.id),
            "reason": "",
        },
    )
    assert refused.status_code == 422 and "give the reason" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LedgerPayment)) == 0
    paid = fac.post(
        f"/rounds/{d.round.id}/ledger/pay",
        data={
            "project_code": "P1",
            "amount": "1000",
            "paid_on": dt.date.today().isoformat(),
            "bank_reference": "B-1",
            "approver": "Fay",
            "milestone_id": str(m.id),
            "reason": "",
        },
    )
    assert paid.status_code == 303
    planned = fac.get(f"/rounds/{d.round.id}/projects/P1/milestones").get_data(as_text=True)
    assert "Pay the tranche of" not in planned and "Its tranche is paid" in planned
    draft = StoryDraft(
        "Cooking again", "I cook again.", "Mo Farrell", dt.date.today(), "Page", on_page=True
    )
    story = delivery_reports.add_story(db.session, p1, draft, d.reporter)
    visitor = app.test_client()
    page = visitor.get(f"/rounds/{d.round.id}/projects/P1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "£4,000.00" in text and "£1,000.00" in text and "Cooking again" in text
    assert "Mo Farrell" not in text  # who consented is the record of consent, not published
    assert f"/rounds/{d.round.id}/ledger#payment-1" in text
    assert 'id="payment-1"' in visitor.get(f"/rounds/{d.round.id}/ledger").get_data(as_text=True)
    ledger_rows = ledger.payments(db.session, d.round.id)
    assert [r.milestone_id for r in ledger_rows] == [m.id]
    delivery_reports.withdraw_consent(db.session, story, d.reporter)
    assert "Cooking again" not in visitor.get(f"/rounds/{d.round.id}/projects/P1").get_data(
        as_text=True
    )
    assert visitor.get(f"/rounds/{d.round.id}/projects/P4").status_code == 404  # not funded
    assert db.session.scalar(select(func.count()).select_from(Story)) == 1


def test_photos_are_served_as_jpeg_under_the_strict_csp(app, db, delivered):
    d = delivered
    client = log_in(app.test_client(), d.reporter)
    assert _update(client, d.round, "P1", jpeg_with_gps()).status_code == 303
    photo = db.session.scalar(select(Photo))
    response = app.test_client().get(f"/photos/{photo.id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"Exif" not in response.data and b"GPS" not in response.data


def test_an_upload_over_the_request_limit_gets_a_page_that_says_so(app, db, delivered):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # the real limit is 64 MB; keep the test small
    client = log_in(app.test_client(), delivered.reporter)
    response = _update(client, delivered.round, "P1", b"\xff" * (2 * 1024 * 1024))
    text = response.get_data(as_text=True)
    assert response.status_code == 413 and "Each photo must be 10 MB or smaller" in text
    assert "Nothing was saved" in text and _rows(db) == (0, 0)


def test_a_story_s_photo_is_public_only_while_consent_stands(app, db, delivered):
    d = delivered
    photo = PhotoUpload(jpeg_with_gps(), "mo.jpg", "Mo in her kitchen")
    draft = StoryDraft("Fresh", "Text", "Mo", dt.date.today(), "Project page", photo, on_page=True)
    story = delivery_reports.add_story(db.session, d.project("P1"), draft, d.reporter)
    url = f"/photos/{story.photo_id}"
    assert app.test_client().get(url).status_code == 200
    delivery_reports.withdraw_consent(db.session, story, d.reporter)
    assert app.test_client().get(url).status_code == 404


def test_alt_text_without_its_photo_asks_for_the_photo_again_and_stores_nothing(app, db, delivered):
    d = delivered
    client = log_in(app.test_client(), d.reporter)
    response = _update(client, d.round, "P1", None, "Volunteers stocking the shelf")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose photo 1 again" in text
    assert _rows(db) == (0, 0)
    assert _update(client, d.round, "P1", None, "  ").status_code == 303  # no photo meant
    assert _rows(db) == (1, 0)

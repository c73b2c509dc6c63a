"""Every field error of the delivery forms appears next to its field, tied to it by
aria-describedby, and in the error summary with a link to the field; nothing is stored.

One bad value per case. A case names the form, the field that is wrong, the message, and the
rows that must not change."""

from __future__ import annotations

import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from decide.models import (
    ImpactFigure,
    LedgerPayment,
    Milestone,
    OutcomeMeasure,
    Photo,
    ProgressUpdate,
    Retrospective,
    Story,
)
from decide.services import delivery, delivery_reports
from decide.services.delivery import MilestoneDraft
from decide.services.delivery_reports import MeasureDraft
from tests.delivery.conftest import jpeg_with_gps
from tests.helpers.sessions import log_in

TODAY = dt.date.today()
STORED = (ProgressUpdate, Photo, Story, Milestone, LedgerPayment, ImpactFigure, OutcomeMeasure,
          Retrospective)  # fmt: skip


class _Elements(HTMLParser):
    """Each element's attributes and text, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str]] = {}
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if "id" in attrs:
            self.attrs[attrs["id"]] = attrs
            self.text.setdefault(attrs["id"], "")
        if tag not in ("input", "br", "img", "meta", "link", "option"):
            self._open.append((tag, attrs.get("id")))

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id:
                self.text[element_id] += data


def assert_next_to_field(html: str, field_id: str, message: str) -> None:
    """The field is described by an error element holding the message, and the summary links
    to the field with it."""
    page = _Elements()
    page.feed(html)
    assert field_id in page.attrs, f"no element with id {field_id!r}"
    described = page.attrs[field_id].get("aria-describedby", "").split()
    errors = [page.text.get(i, "") for i in described if i.endswith("-error")]
    assert any(message in e for e in errors), (field_id, described, errors, message)
    grouped = field_id in ("photos", "consent_scopes")  # a fieldset: described, not invalid
    assert page.attrs[field_id].get("aria-invalid") == "true" or grouped
    summary = page.text.get("error-summary", "")
    assert message in summary and f'href="#{field_id}"' in html.split('id="error-summary"')[1]


def _counts(db) -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in STORED)


def _setup(db, d):
    """A measure (by decile) and a planned milestone on P1."""
    measure = delivery_reports.add_measure(
        db.session, d.round, MeasureDraft("Sessions held", "sessions", by_decile=True),
        d.facilitator,
    )  # fmt: skip
    milestone = delivery.add_milestone(
        db.session, d.round, d.project("P1"), MilestoneDraft("Shelf", TODAY, 100_000),
        d.facilitator,
    )  # fmt: skip
    return measure, milestone


def _update(**changes):
    data = {"text": "The shelf is in.", "milestone_id": ""}
    for n in range(1, 5):
        data[f"alt_{n}"] = ""
    data.update(changes)
    return data


def _story(**changes):
    data = {
        "title": "Cooking again", "text": "I cook again.", "consent_by": "Mo",
        "consent_on": TODAY.isoformat(), "consent_use": "Project page", "photo_alt": "",
        "consent_scopes": "page",
    }  # fmt: skip
    data.update(changes)
    return data


def _pay(**changes):
    data = {
        "project_code": "P1", "amount": "10", "paid_on": TODAY.isoformat(),
        "bank_reference": "B-1", "approver": "Fay", "milestone_id": "", "reason": "",
    }  # fmt: skip
    data.update(changes)
    return data


def _figure(measure_id, **changes):
    # The measure is by decile, so every figure names one (a figure without would be counted
    # beside its own breakdown).
    data = {"measure_id": str(measure_id), "value": "12", "milestone_id": "", "area_id": "",
            "decile": "3"}  # fmt: skip
    data.update(changes)
    return data


def _measure(**changes: str) -> dict[str, str]:
    return {"name": "Reach", "unit": "people", "aggregation": "sum", **changes}


def _retro(**changes):
    data = {"what_worked": "Stalls", "what_did_not": "Dates", "changes_next_round": "More",
            "authors": "Fay"}  # fmt: skip
    data.update(changes)
    return data


def _photo(data=None):
    return (io.BytesIO(data if data is not None else jpeg_with_gps()), "photo.jpg")


NOT_AN_IMAGE = b"#!/bin/sh\necho not a photo\n"

# (who, path under the round, form data (a callable of measure id and milestone id), field id,
# message)
CASES = [
    ("reporter", "projects/P1/updates/new", lambda m, s: _update(text=""), "text",
     "Say what has happened"),
    ("reporter", "projects/P1/updates/new",
     lambda m, s: _update(photo_1=_photo(NOT_AN_IMAGE), alt_1="A shelf"), "photo_1",
     "is not an image we can read"),
    ("reporter", "projects/P1/updates/new", lambda m, s: _update(photo_2=_photo()), "alt_2",
     "Describe photo 2 in its alt text"),
    ("reporter", "projects/P1/updates/new", lambda m, s: _update(alt_3="A hall"), "alt_3",
     "Choose photo 3 again"),
    ("reporter", "projects/P1/updates/new", lambda m, s: _update(milestone_id="999999"),
     "milestone_id", "Choose a milestone of this project"),
    ("reporter", "projects/P1/stories/new", lambda m, s: _story(title=""), "title",
     "Give the story a title"),
    ("reporter", "projects/P1/stories/new", lambda m, s: _story(text=""), "text",
     "Write the story"),
    ("reporter", "projects/P1/stories/new", lambda m, s: _story(consent_by=""), "consent_by",
     "Enter who gave consent"),
    ("reporter", "projects/P1/stories/new",
     lambda m, s: _story(consent_on=(TODAY + dt.timedelta(days=2)).isoformat()), "consent_on",
     "cannot be in the future"),
    ("reporter", "projects/P1/stories/new", lambda m, s: _story(consent_on="last week"),
     "consent_on", "Enter the date consent was given"),
    ("reporter", "projects/P1/stories/new", lambda m, s: _story(consent_scopes=[]),
     "consent_scopes", "Tick “On the project page”"),
    ("reporter", "projects/P1/stories/new", lambda m, s: _story(consent_scopes="open_data"),
     "consent_scopes", "Tick “On the project page”"),
    ("reporter", "projects/P1/stories/new",
     lambda m, s: _story(photo=_photo(NOT_AN_IMAGE), photo_alt="Mo"), "photo",
     "is not an image we can read"),
    ("reporter", "projects/P1/stories/new", lambda m, s: _story(photo=_photo()), "photo_alt",
     "Describe the photo in its alt text"),
    ("facilitator", "projects/P1/milestones",
     lambda m, s: {"title": "", "planned_on": TODAY.isoformat(), "tranche": "10"}, "title",
     "Give the milestone a title"),
    ("facilitator", "projects/P1/milestones",
     lambda m, s: {"title": "Hall", "planned_on": "soon", "tranche": "10"}, "planned_on",
     "Enter the planned date"),
    ("facilitator", "projects/P1/milestones",
     lambda m, s: {"title": "Hall", "planned_on": TODAY.isoformat(), "tranche": "ten"},
     "tranche", "Enter"),
    ("facilitator", "projects/P1/milestones",
     lambda m, s: {"title": "Hall", "planned_on": TODAY.isoformat(), "tranche": "5,000"},
     "tranche", "more than the project's allocation"),
    ("facilitator", "ledger/pay", lambda m, s: _pay(amount="lots"), "amount", "Enter"),
    ("facilitator", "ledger/pay", lambda m, s: _pay(paid_on="tomorrow"), "paid_on",
     "Enter the date of payment"),
    ("facilitator", "ledger/pay", lambda m, s: _pay(bank_reference=""), "bank_reference",
     "bank reference"),
    ("facilitator", "ledger/pay", lambda m, s: _pay(), "reason", "give the reason"),
    ("facilitator", "ledger/pay", lambda m, s: _pay(milestone_id=str(s + 99), reason="Ahead"),
     "milestone_id", "Choose a milestone"),
    ("reporter", "projects/P1/figures/new", lambda m, s: _figure(m, value="-3"), "value",
     "cannot be negative"),
    ("reporter", "projects/P1/figures/new", lambda m, s: _figure(m, value=""), "value",
     "Enter the figure"),
    ("reporter", "projects/P1/figures/new", lambda m, s: _figure(m + 99), "measure_id",
     "Choose a measure"),
    ("reporter", "projects/P1/figures/new", lambda m, s: _figure(m, decile="11"), "decile",
     "Not a valid choice"),
    ("reporter", "projects/P1/figures/new", lambda m, s: _figure(m, area_id="1"), "area_id",
     "not broken down by area"),
    ("facilitator", "outcomes", lambda m, s: _measure(name=""), "name", "Name the measure"),
    ("facilitator", "outcomes", lambda m, s: _measure(unit=""), "unit", "Give the unit"),
    ("facilitator", "outcomes", lambda m, s: _measure(name="sessions HELD", unit="sessions"),
     "name", "already has a measure of this name"),
    ("facilitator", "retrospective", lambda m, s: _retro(what_worked=""), "what_worked",
     "Enter what worked"),
    ("facilitator", "retrospective", lambda m, s: _retro(authors=" "), "authors",
     "Enter the names"),
]  # fmt: skip


@pytest.mark.parametrize(
    "who,path,data,field_id,message", CASES, ids=[f"{c[1]}:{c[3]}:{c[4][:20]}" for c in CASES]
)
def test_the_error_is_next_to_its_field_and_nothing_is_stored(
    app, db, delivered, who, path, data, field_id, message
):
    d = delivered
    measure, milestone = _setup(db, d)
    before = _counts(db)
    client = log_in(app.test_client(), getattr(d, who))
    response = client.post(
        f"/rounds/{d.round.id}/{path}",
        data=data(measure.id, milestone.id),
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert_next_to_field(html, field_id, message)
    assert _counts(db) == before


def test_a_photo_that_was_fine_is_asked_for_again_when_another_field_is_wrong(app, db, delivered):
    d = delivered
    before = _counts(db)
    client = log_in(app.test_client(), d.reporter)
    url = f"/rounds/{d.round.id}/projects/P1"
    data = _update(text="", photo_1=_photo(), alt_1="A shelf")
    html = client.post(f"{url}/updates/new", data=data, content_type="multipart/form-data")
    html = html.get_data(as_text=True)
    assert_next_to_field(html, "text", "Say what has happened")
    assert_next_to_field(html, "photo_1", "Choose photo 1 again, or leave it out")
    data = _story(title="", photo=_photo(), photo_alt="Mo")
    html = client.post(f"{url}/stories/new", data=data, content_type="multipart/form-data")
    assert_next_to_field(html.get_data(as_text=True), "photo", "Choose the photo again")
    assert _counts(db) == before


def test_every_photo_that_will_be_lost_is_asked_for_again_in_the_first_round(app, db, delivered):
    d = delivered
    client = log_in(app.test_client(), d.reporter)
    url = f"/rounds/{d.round.id}/projects/P1/updates/new"
    # Two photos, alt text for the first only: the page comes back, and both files are lost.
    data = _update(photo_1=_photo(), alt_1="A shelf", photo_2=_photo())
    html = client.post(url, data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert_next_to_field(html, "alt_2", "Describe photo 2 in its alt text")
    assert_next_to_field(html, "photo_1", "Choose photo 1 again")
    assert_next_to_field(html, "photo_2", "Choose photo 2 again too")
    # Doing what the first page said is enough: the second submission is published.
    data = _update(photo_1=_photo(), alt_1="A shelf", photo_2=_photo(), alt_2="The shelf, full")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ProgressUpdate)) == 1


def test_an_empty_form_lists_every_gap_at_once(app, db, delivered):
    d = delivered
    before = _counts(db)
    url = f"/rounds/{d.round.id}/projects/P1"
    reporter = log_in(app.test_client(), d.reporter)
    html = reporter.post(f"{url}/stories/new", data=_story(
        title="", text="", consent_by="", consent_on="", consent_use="", consent_scopes=[]
    )).get_data(as_text=True)  # fmt: skip
    for field_id, message in (
        ("title", "Give the story a title"), ("text", "Write the story"),
        ("consent_by", "Enter who gave consent"), ("consent_on", "Enter the date consent"),
        ("consent_scopes", "Tick “On the project page”"),
    ):  # fmt: skip
        assert_next_to_field(html, field_id, message)
    data = _update(text="", photo_2=_photo())
    html = reporter.post(f"{url}/updates/new", data=data, content_type="multipart/form-data")
    html = html.get_data(as_text=True)
    assert_next_to_field(html, "text", "Say what has happened")
    assert_next_to_field(html, "alt_2", "Describe photo 2 in its alt text")
    fac = log_in(app.test_client(), d.facilitator)
    html = fac.post(f"{url}/milestones", data={"title": "", "planned_on": "", "tranche": ""})
    html = html.get_data(as_text=True)
    assert_next_to_field(html, "title", "Give the milestone a title")
    assert_next_to_field(html, "planned_on", "Enter the planned date")
    assert_next_to_field(html, "tranche", "Enter the tranche")
    assert _counts(db) == before

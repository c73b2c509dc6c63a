"""Fixes after the outside security test of issue 16's features."""

from __future__ import annotations

import csv
import datetime as dt
import io
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from decide.models import ProgressUpdate, Proposal
from decide.services import delivery, learning_cache
from decide.services.delivery import MilestoneDraft
from decide.services.errors import DomainError
from tests.helpers.sessions import log_in


def _post(client, rnd, code, text):
    data = {"text": text, "milestone_id": "", "alt_1": ""}
    return client.post(f"/rounds/{rnd.id}/projects/{code}/updates/new", data=data,
                       content_type="multipart/form-data")  # fmt: skip


def _feed(app):
    learning_cache.clear()
    response = app.test_client().get("/feed.atom")
    assert response.status_code == 200
    return ET.fromstring(response.get_data())  # noqa: S314 - our own output


def test_a_noncharacter_is_refused_and_never_breaks_the_feed(app, db, delivered):
    d = delivered
    client = log_in(app.test_client(), d.reporter)
    for text in ("Shelf \ufffe in", "Shelf \ufdd0 in", "Shelf \U0001ffff in"):
        response = _post(client, d.round, "P1", text)
        assert response.status_code == 422, text
        assert 'id="error-summary"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ProgressUpdate)) == 0
    project = d.project("P1")
    db.session.add(ProgressUpdate(
        project_id=project.id, organisation_id=project.organisation_id, author_id=d.reporter.id,
        text="Written \ufffe around \x01 the form\ufdd0", created_at=dt.datetime.now(dt.UTC),
    ))  # fmt: skip
    db.session.commit()
    root = _feed(app)
    summaries = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}summary")]
    assert "Written  around  the form" in summaries


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_text_cells_that_look_like_formulas_are_defused(app, db, delivered):
    d = delivered
    formula = '=HYPERLINK("http://evil.example","Click")'
    for title in (formula, "@SUM(A1)", "-1+2 boxes", "Plain"):
        draft = MilestoneDraft(title, dt.date(2027, 6, 1), 100)
        delivery.add_milestone(db.session, d.round, d.project("P1"), draft, d.facilitator)
    learning_cache.clear()
    client = app.test_client()
    titles = [r["title"] for r in _csv(client, "/data/milestones.csv")]
    assert sorted(titles) == sorted(["'" + formula, "'@SUM(A1)", "'-1+2 boxes", "Plain"])
    rows = _csv(client, "/data/milestones.csv")
    assert {r["tranche_pence"] for r in rows} == {"100"}  # numbers as they are
    body = client.get("/data/milestones.json").get_json()
    assert formula in [r["title"] for r in body["data"]]  # JSON keeps the text
    assert "never runs it as a formula" in client.get("/data").get_data(as_text=True)


def test_a_carry_over_passes_the_checks_of_submitting_into_the_target_round(db, delivered):
    from decide.models import Organisation
    from decide.services import retrospectives
    from tests.web.world import make_proposal, make_round

    d = delivered
    target = make_round(db.session, "Next year", "proposals")
    unfunded = make_proposal(db.session, d.round, d.citizen, "Bench in the park")
    d.project("P4").proposal_id = unfunded.id
    db.session.commit()
    # The target round does not serve the proposal's area.
    with pytest.raises(DomainError, match="Choose one of this round's areas"):
        retrospectives.carry_over(db.session, unfunded, target, d.citizen)
    target.areas = list(d.round.areas)
    # Its deadline for proposals has passed.
    target.proposals_close = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    with pytest.raises(DomainError, match="The deadline for proposals was"):
        retrospectives.carry_over(db.session, unfunded, target, d.citizen)
    target.proposals_close = None
    # The proposer has left the organisation the proposal was made for.
    unfunded.organisation = db.session.scalars(select(Organisation)).first()
    db.session.commit()
    with pytest.raises(DomainError, match="your own organisations"):
        retrospectives.carry_over(db.session, unfunded, target, d.citizen)
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 1  # nothing stored
    unfunded.organisation = None
    db.session.commit()
    copy = retrospectives.carry_over(db.session, unfunded, target, d.citizen)
    assert copy.round_id == target.id


INVISIBLE = "\u200b \u00a0\u200c\u200d\u2060\ufeff\t"


def test_text_with_no_visible_character_counts_as_empty(db, delivered):
    from decide.services import delivery_reports, ledger
    from decide.services.delivery_reports import StoryDraft, UpdateDraft
    from decide.services.errors import InvalidInput
    from decide.services.photos import PhotoRefused, PhotoUpload
    from tests.delivery.conftest import jpeg_with_gps

    d = delivered
    p1 = d.project("P1")
    payment = ledger.PaymentForm("P1", 1_000, dt.date(2027, 5, 1), "REF-1", "Fay", reason=INVISIBLE)
    with pytest.raises(DomainError, match="give the reason for paying ahead"):
        ledger.record_payment(db.session, d.round, payment, d.facilitator)
    with pytest.raises(InvalidInput) as refused:
        delivery_reports.post_update(db.session, p1, UpdateDraft(INVISIBLE), d.reporter)
    assert refused.value.errors["text"] == "Enter what has happened"
    photo = PhotoUpload(jpeg_with_gps(), "a.jpg", INVISIBLE)
    with pytest.raises(PhotoRefused, match="in its alt text"):
        delivery_reports.post_update(
            db.session, p1, UpdateDraft("Shelf", photos=(photo,)), d.reporter
        )
    story = StoryDraft("A story", INVISIBLE, "Ann", dt.date(2027, 5, 1), "On the web", on_page=True)
    with pytest.raises(InvalidInput) as refused:
        delivery_reports.add_story(db.session, p1, story, d.reporter)
    assert "text" in refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(ProgressUpdate)) == 0
    # A visible character among invisible ones is text.
    done = ledger.record_payment(
        db.session, d.round,
        ledger.PaymentForm("P1", 1_000, dt.date(2027, 5, 1), "REF-2", "Fay", reason="\u200bAhead"),
        d.facilitator,
    )  # fmt: skip
    assert done is not None


def _measure(db, d, name, unit, **flags):
    from decide.services import delivery_reports
    from decide.services.delivery_reports import MeasureDraft

    draft = MeasureDraft(name, unit, **flags)
    return delivery_reports.add_measure(db.session, d.round, draft, d.facilitator)


def test_impact_figures_are_plain_bounded_decimals_and_counts_are_whole(db, delivered):
    from decide.services import delivery_reports
    from decide.services.delivery_reports import FigureDraft

    d = delivered
    p1 = d.project("P1")
    sessions = _measure(db, d, "Sessions held", "sessions", whole_numbers=True)
    hours = _measure(db, d, "Volunteer hours", "hours")

    def report(measure, text):
        draft = FigureDraft(measure.id, text)
        return delivery_reports.report_figure(db.session, p1, draft, d.reporter).value

    refused = {
        (sessions, "2.5"): "counts whole sessions; enter a whole number",
        (hours, "1,2,3"): "commas only between groups of three digits",
        (hours, "2,5"): "commas only between groups of three digits",
        (hours, "12,34.5"): "commas only between groups of three digits",
        (hours, "1e3"): "in digits, like 120",
        (hours, "１２"): "in digits, like 120",
        (hours, "1234567890123"): "at most 12 digits before the point and 4 after",
        (hours, "1.23456"): "at most 12 digits before the point and 4 after",
    }
    for (measure, text), message in refused.items():
        with pytest.raises(DomainError, match=message):
            report(measure, text)
    assert report(hours, "1,234.5") == "1234.5"
    assert report(hours, "999,999,999,999.9999") == "999999999999.9999"
    assert report(sessions, "12.000") == "12"
    assert report(sessions, "0012") == "12"


def test_totals_are_exact_and_a_withdrawn_figure_leaves_them(app, db, delivered):
    from decide.models import ImpactFigure
    from decide.services import delivery_reports
    from decide.services.delivery_reports import FigureDraft
    from decide.services.errors import NotAllowed

    d = delivered
    p1 = d.project("P1")
    hours = _measure(db, d, "Volunteer hours", "hours")
    for text in ("1,234.1234", "0.0001", "5"):
        delivery_reports.report_figure(db.session, p1, FigureDraft(hours.id, text), d.reporter)
    learning_cache.clear()
    page = app.test_client().get("/learning").get_data(as_text=True)
    assert ">1,239.1235</td>" in page  # a float to two places would say 1,239.12
    wrong = db.session.scalars(select(ImpactFigure).where(ImpactFigure.value == "5")).one()
    with pytest.raises(NotAllowed):
        delivery_reports.withdraw_figure(db.session, wrong, d.other)
    reporter = log_in(app.test_client(), d.reporter)
    page = reporter.get(f"/rounds/{d.round.id}/projects/P1").get_data(as_text=True)
    assert "Withdraw 5 hours (Volunteer hours)" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    url = f"/rounds/{d.round.id}/projects/P1/figures/{wrong.id}/withdraw"
    assert reporter.post(url, data={"csrf_token": token}).status_code == 303
    db.session.refresh(wrong)
    assert wrong.withdrawn_at is not None and wrong.withdrawn_by_id == d.reporter.id
    assert [f.value for f in delivery_reports.figures(db.session, p1.id)] == ["1234.1234", "0.0001"]
    page = app.test_client().get("/learning").get_data(as_text=True)
    assert ">1,234.1235</td>" in page
    values = [r["value"] for r in _csv(app.test_client(), "/data/impact.csv")]
    assert sorted(values) == ["0.0001", "1234.1234"]


def test_the_feed_takes_its_addresses_from_public_base_url_not_the_host(app, db, delivered):
    app.config["PUBLIC_BASE_URL"] = "https://decide.example.org"
    learning_cache.clear()
    response = app.test_client().get("/feed.atom", headers={"Host": "evil.example"})
    root = ET.fromstring(response.get_data())  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2005/Atom}"
    addresses = [e.text for e in root.iter(f"{ns}id")]
    addresses += [e.get("href") for e in root.iter(f"{ns}link")]
    assert len(addresses) >= 4
    assert all(a.startswith("https://decide.example.org/") for a in addresses), addresses
    assert b"evil.example" not in response.get_data()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that states its size and holds no pixels (cheap to build, refused or unreadable)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_the_pixel_cap_is_24_million_and_checked_before_decoding():
    from decide.services.photos import PhotoRefused, PhotoUpload, prepare_photo

    with pytest.raises(PhotoRefused, match="6320 × 6320 pixels; the largest we accept is 24"):
        prepare_photo(PhotoUpload(_png_header(6320, 6320), "big.png", "Alt"))
    with pytest.raises(PhotoRefused, match="5000 × 4801 pixels"):
        prepare_photo(PhotoUpload(_png_header(5000, 4801), "big.png", "Alt"))
    # Just under the cap: the size passes, and this header-only file is then unreadable.
    with pytest.raises(PhotoRefused, match="not an image we can read"):
        prepare_photo(PhotoUpload(_png_header(6000, 4000), "ok.png", "Alt"))


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_an_mpo_is_accepted(monkeypatch):
    from PIL import Image, ImageFile

    from decide.services import photos

    decoded = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        if self.tile:
            decoded.append((self.format, self.size))
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 90, 200)).save(out, format="JPEG", quality=50)
    prepared = photos.prepare_photo(photos.PhotoUpload(out.getvalue(), "a.jpg", "Blue"))
    assert (prepared.width, prepared.height) == (1600, 1200)
    assert decoded == [("JPEG", (2000, 1500))]  # decoded at half scale, not 4000 × 3000
    mpo = io.BytesIO()
    first, second = Image.new("RGB", (80, 60), (250, 0, 0)), Image.new("RGB", (80, 60), (0, 0, 250))
    first.save(mpo, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(mpo.getvalue())).format == "MPO"
    prepared = photos.prepare_photo(photos.PhotoUpload(mpo.getvalue(), "phone.jpg", "Red"))
    pixel = Image.open(io.BytesIO(prepared.data)).getpixel((40, 30))
    assert pixel[0] > 200 and pixel[2] < 50  # the first frame


def test_the_missing_alt_message_names_the_photo_slot(app, db, delivered):
    from tests.delivery.conftest import jpeg_with_gps

    d = delivered
    client = log_in(app.test_client(), d.reporter)
    data = {"text": "Shelf", "milestone_id": "", "alt_1": "", "alt_3": "",
            "photo_3": (io.BytesIO(jpeg_with_gps()), "c.jpg")}  # fmt: skip
    response = client.post(f"/rounds/{d.round.id}/projects/P1/updates/new", data=data,
                           content_type="multipart/form-data")  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Describe photo 3 in its alt text" in page
    assert 'href="#alt_3"' in page  # the error summary links to the right field


class TestUpdateRateLimit:
    @pytest.fixture
    def app_config(self, receipt_key_file, tmp_path):
        return {"RATELIMIT_ENABLED": True, "UPDATE_RATE_LIMIT": "3 per hour",
                "PUBLICATION_JOBS_INLINE": True, "RECEIPT_KEY_FILE": receipt_key_file}  # fmt: skip

    def test_posting_updates_is_rate_limited(self, app, db, delivered):
        from decide.extensions import limiter

        limiter.reset()
        d = delivered
        client = log_in(app.test_client(), d.reporter)
        codes = [_post(client, d.round, "P1", f"Update {n}").status_code for n in range(4)]
        limiter.reset()
        assert codes == [303, 303, 303, 429]
        assert db.session.scalar(select(func.count()).select_from(ProgressUpdate)) == 3


def test_the_facilitator_may_report_a_milestone_status_as_the_service_allows(app, db, delivered):
    d = delivered
    m = delivery.add_milestone(
        db.session,
        d.round,
        d.project("P1"),
        MilestoneDraft("Shelf", dt.date(2027, 6, 1), 100),
        d.facilitator,
    )
    facilitator = log_in(app.test_client(), d.facilitator)
    page = facilitator.get(f"/rounds/{d.round.id}/projects/P1").get_data(as_text=True)
    assert f'id="status-{m.id}"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    url = f"/rounds/{d.round.id}/projects/P1/milestones/{m.id}/status"
    response = facilitator.post(url, data={"csrf_token": token, "status": "delayed"})
    assert response.status_code == 303
    db.session.refresh(m)
    assert m.status == "delayed"
    other = log_in(app.test_client(), d.other)  # delivers P2, not P1
    assert other.post(url, data={"csrf_token": token, "status": "on-track"}).status_code == 403


def test_naming_an_unconfirmed_milestone_does_not_lift_the_reason_rule(db, delivered):
    from decide.services import ledger

    d = delivered
    p1 = d.project("P1")
    done = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Done", dt.date(2027, 6, 1), 1_000), d.facilitator
    )
    later = delivery.add_milestone(
        db.session, d.round, p1, MilestoneDraft("Later", dt.date(2027, 9, 1), 50_000), d.facilitator
    )
    delivery.confirm_milestone(db.session, done, d.facilitator)
    form = ledger.PaymentForm(
        "P1", 20_000, dt.date(2027, 6, 2), "REF-9", "Fay", milestone_id=later.id
    )
    with pytest.raises(DomainError, match=r"beyond the £10\.00 of its confirmed milestones"):
        ledger.record_payment(db.session, d.round, form, d.facilitator)
    within = ledger.PaymentForm(
        "P1", 1_000, dt.date(2027, 6, 2), "REF-8", "Fay", milestone_id=done.id
    )
    assert ledger.record_payment(db.session, d.round, within, d.facilitator) is not None


def test_only_confirmed_milestones_count_as_completed_on_the_dashboard_and_annex(db, delivered):
    from decide.services import learning_annex
    from decide.web import learning_charts

    d = delivered
    p1 = d.project("P1")
    a, b = (
        delivery.add_milestone(
            db.session, d.round, p1, MilestoneDraft(t, dt.date(2027, 6, 1), 10), d.facilitator
        )
        for t in ("A", "B")
    )
    delivery.set_status(db.session, a, "completed", d.reporter)
    delivery.set_status(db.session, b, "completed", d.reporter)
    delivery.confirm_milestone(db.session, b, d.facilitator)
    learning_cache.clear()
    known = learning_cache.current_facts(db.session)
    shown = learning_charts.dashboard(known, learning_charts.Filters())["delivery"]
    rows = dict(shown["rows"])
    assert rows["Completed"] == 1 and rows["Completed, awaiting confirmation"] == 1
    assert "only milestones the facilitator confirmed count as completed" in shown["summary"]
    from audits.manifest import Manifest
    from decide.models import RoundManifest

    row = db.session.get(RoundManifest, d.round.id)
    annex = learning_annex.annex_for(
        db.session, d.round, Manifest.from_json_bytes(row.manifest_json), {}
    )
    assert dict(annex.milestones)["Completed"] == 1


def test_csv_content_type_has_one_charset(app, db, delivered):
    response = app.test_client().get("/data/projects.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_an_update_or_photo_removed_vanishes_from_pages_feed_and_files(app, db, delivered):
    from decide.models import Photo
    from decide.services import delivery_reports
    from decide.services.delivery_reports import UpdateDraft
    from decide.services.errors import NotAllowed
    from decide.services.photos import PhotoUpload
    from tests.delivery.conftest import jpeg_with_gps

    d = delivered
    p1 = d.project("P1")
    photos = tuple(PhotoUpload(jpeg_with_gps(), f"{n}.jpg", f"Shelf {n}", n) for n in (1, 2))
    kept = delivery_reports.post_update(
        db.session, p1, UpdateDraft("Kept update", photos=photos), d.reporter
    )
    gone = delivery_reports.post_update(db.session, p1, UpdateDraft("Gone update"), d.reporter)
    with pytest.raises(NotAllowed):
        delivery_reports.remove_update(db.session, gone, d.other)
    delivery_reports.remove_update(db.session, gone, d.reporter)
    first, second = kept.photos
    delivery_reports.remove_photo(db.session, first, d.facilitator)
    assert (gone.removed_by_id, first.removed_by_id) == (d.reporter.id, d.facilitator.id)
    assert gone.removed_at is not None and first.removed_at is not None
    client = app.test_client()
    page = client.get(f"/rounds/{d.round.id}/projects/P1").get_data(as_text=True)
    assert "Kept update" in page and "Gone update" not in page
    assert f"/photos/{second.id}" in page and f"/photos/{first.id}" not in page
    assert client.get(f"/photos/{first.id}").status_code == 404
    assert client.get(f"/photos/{second.id}").status_code == 200
    feed = client.get("/feed.atom").get_data(as_text=True)
    assert "Kept update" in feed and "Gone update" not in feed
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 2  # kept, not shown


def test_a_transparent_png_is_stored_on_white_not_black():
    from PIL import Image

    from decide.services.photos import PhotoUpload, prepare_photo

    logo = Image.new("RGBA", (40, 40), (0, 0, 0, 0))  # transparent everywhere...
    logo.paste((0, 0, 0, 255), (10, 10, 30, 30))  # ...but a black square in the middle
    raw = io.BytesIO()
    logo.save(raw, format="PNG")
    stored = prepare_photo(PhotoUpload(raw.getvalue(), "logo.png", "Our logo"))
    opened = Image.open(io.BytesIO(stored.data)).convert("RGB")
    corner, middle = opened.getpixel((2, 2)), opened.getpixel((20, 20))
    assert min(corner) > 240 and max(middle) < 20, (corner, middle)

"""How a measure's figures make a total: sum (counts per period), mean (scores) and latest
(running totals reported again at each milestone), the same on the dashboard, in the open
data and in the PDF's delivery annex (issue 16 review: every measure used to be summed)."""

from __future__ import annotations

import csv
import io
from fractions import Fraction

import pytest

from audits.annex import DeliveryAnnex
from audits.manifest import Manifest
from decide.models import RoundManifest
from decide.services import delivery_reports, learning_cache
from decide.services.delivery_reports import FigureDraft, MeasureDraft
from decide.services.errors import InvalidInput
from decide.services.learning_annex import annex_for
from decide.services.learning_views import impact_totals


@pytest.fixture(autouse=True)
def _fresh_cache():
    learning_cache.clear()
    yield
    learning_cache.clear()


def _measure(db, d, name, unit, aggregation, **flags):
    draft = MeasureDraft(name, unit, aggregation=aggregation, **flags)
    return delivery_reports.add_measure(db.session, d.round, draft, d.facilitator)


def _report(db, d, code, measure, value, *, decile=None):
    who = d.other if code == "P2" else d.reporter
    draft = FigureDraft(measure.id, value, decile=decile)
    return delivery_reports.report_figure(db.session, d.project(code), draft, who)


def _totals(db):
    learning_cache.clear()
    facts = learning_cache.current_facts(db.session)
    return {t.measure: t for t in impact_totals(facts.impact)}


def test_a_sum_adds_every_figure_not_withdrawn(db, delivered):
    d = delivered
    sessions = _measure(db, d, "Sessions held", "sessions", "sum")
    _report(db, d, "P1", sessions, "10")
    _report(db, d, "P1", sessions, "5")
    _report(db, d, "P2", sessions, "7")
    wrong = _report(db, d, "P1", sessions, "100")
    delivery_reports.withdraw_figure(db.session, wrong, d.reporter)
    t = _totals(db)["Sessions held"]
    assert (t.aggregation, t.total, t.figures, t.projects) == ("sum", 22, 3, 2)


def test_a_mean_averages_the_figures_exactly_and_says_how_many(db, delivered):
    d = delivered
    wellbeing = _measure(db, d, "Wellbeing change", "points", "mean", may_be_negative=True)
    _report(db, d, "P1", wellbeing, "2.5")
    _report(db, d, "P2", wellbeing, "-0.5")
    _report(db, d, "P3", wellbeing, "4")
    wrong = _report(db, d, "P1", wellbeing, "50")
    delivery_reports.withdraw_figure(db.session, wrong, d.reporter)
    t = _totals(db)["Wellbeing change"]
    assert (t.aggregation, t.total, t.figures, t.projects) == ("mean", Fraction(2), 3, 3)
    _report(db, d, "P2", wellbeing, "1")  # (2.5 - 0.5 + 4 + 1) / 4 = 7/4
    assert _totals(db)["Wellbeing change"].total == Fraction(7, 4)


def test_latest_counts_each_projects_newest_figure_per_breakdown(db, delivered):
    d = delivered
    reached = _measure(db, d, "People reached", "people", "latest", by_decile=True)
    _report(db, d, "P1", reached, "40", decile=2)
    _report(db, d, "P1", reached, "70", decile=2)  # so far: replaces 40, never 110
    _report(db, d, "P1", reached, "10", decile=5)  # another breakdown of the same project
    _report(db, d, "P2", reached, "30", decile=2)
    wrong = _report(db, d, "P2", reached, "90", decile=2)
    delivery_reports.withdraw_figure(db.session, wrong, d.other)  # P2's latest is 30 again
    t = _totals(db)["People reached"]
    assert (t.aggregation, t.total, t.figures, t.projects) == ("latest", 110, 3, 2)


def test_an_unknown_aggregation_is_refused_and_nothing_is_stored(db, delivered):
    d = delivered
    with pytest.raises(InvalidInput) as refused:
        _measure(db, d, "Odd", "things", "median")
    assert "aggregation" in refused.value.errors
    assert delivery_reports.measures(db.session, d.round.id) == []


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_dashboard_open_data_and_delivery_json_agree(app, db, delivered):
    d = delivered
    reached = _measure(db, d, "People reached", "people", "latest")
    wellbeing = _measure(db, d, "Wellbeing change", "points", "mean", may_be_negative=True)
    sessions = _measure(db, d, "Sessions held", "sessions", "sum")
    for code, value in (("P1", "40"), ("P1", "70"), ("P2", "25")):
        _report(db, d, code, reached, value)
    for code, value in (("P1", "3"), ("P2", "1"), ("P3", "-1")):  # mean 1
        _report(db, d, code, wellbeing, value)
    for code, value in (("P1", "4"), ("P1", "6"), ("P3", "2")):
        _report(db, d, code, sessions, value)
    learning_cache.clear()
    client = app.test_client()
    page = client.get("/learning").get_data(as_text=True)
    expected = {
        "People reached": ("latest", "95", "latest figures of 2 projects added up"),
        "Wellbeing change": ("mean", "1", "mean of 3 figures"),
        "Sessions held": ("sum", "12", "sum of 3 figures"),
    }
    for measure, (_, total, how) in expected.items():
        assert f'<th scope="row">{measure}</th>' in page
        assert f'<td class="num">{total}</td><td>{how}</td>' in page, measure

    rows = {r["measure"]: r for r in _csv(client, "/data/dashboard_impact.csv")}
    for measure, (aggregation, total, _) in expected.items():
        assert (rows[measure]["aggregation"], rows[measure]["total"]) == (aggregation, total)

    row = db.session.get(RoundManifest, d.round.id)
    manifest = Manifest.from_json_bytes(row.manifest_json)
    annex = annex_for(db.session, d.round, manifest, {})
    assert annex is not None
    read = DeliveryAnnex.from_json_bytes(annex.to_json_bytes())
    stated = {i.measure: (i.aggregation, i.total) for i in read.impact}
    assert stated == {m: (a, Fraction(t)) for m, (a, t, _) in expected.items()}


def test_the_facilitator_chooses_the_aggregation_in_plain_words(app, db, delivered):
    from tests.publication.conftest import login

    d = delivered
    client = login(app.test_client(), d.facilitator)
    url = f"/rounds/{d.round.id}/outcomes"
    form = client.get(url).get_data(as_text=True)
    for words in ("Add the figures up (counts per period)", "Average of the figures (scores)",
                  "Latest figure of each project (running totals)"):  # fmt: skip
        assert words in form
    assert 'type="radio" name="aggregation" id="aggregation-0" value="sum" checked' in form
    data = {"name": "Wellbeing", "unit": "points", "aggregation": "median"}  # CSRF off in tests
    refused = client.post(url, data=data)
    assert refused.status_code == 422 and 'id="error-summary"' in refused.get_data(as_text=True)
    assert delivery_reports.measures(db.session, d.round.id) == []
    assert client.post(url, data={**data, "aggregation": "mean"}).status_code == 303
    (measure,) = delivery_reports.measures(db.session, d.round.id)
    assert measure.aggregation == "mean"
    assert "total: average of the figures (scores)" in client.get(url).get_data(as_text=True)

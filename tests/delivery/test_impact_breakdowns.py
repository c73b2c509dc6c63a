"""Impact figures of a broken-down measure: each figure at the measure's breakdown.

1. A "latest" (running total) measure once accepted figures at several levels for one project
   (no breakdown, an area, an area and a decile), and each level counted as its own
   breakdown: "100 people in all" and then "60 of them in Riverside" made 160 on the
   dashboard, in dashboard_impact.csv and in the annex. A measure by area now takes an area on
   every figure (by decile, a decile), and figures stored before count at their coarsest level.
2. A figure's decile was not checked against its area's: it is now the area's.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from decide.services import delivery_reports
from decide.services.delivery_reports import FigureDraft, MeasureDraft
from decide.services.errors import DomainError
from decide.services.learning import ImpactFacts
from decide.services.learning_views import combine
from tests.helpers.sessions import log_in


def test_latest_does_not_add_a_whole_project_figure_to_its_own_breakdown():
    overall = ImpactFacts("r", "P1", "People reached", "people", Fraction(100), "latest")
    riverside = ImpactFacts(
        "r", "P1", "People reached", "people", Fraction(60), "latest", "riverside"
    )
    total, _counted = combine("latest", [overall, riverside])
    assert total != 160  # 60 of the 100 counted twice


def test_a_figure_s_decile_must_be_its_area_s_decile(db, delivered):
    d = delivered
    measure = delivery_reports.add_measure(
        db.session, d.round,
        MeasureDraft("People reached", "people", by_area=True, by_decile=True,
                     aggregation="latest"),
        d.facilitator,
    )  # fmt: skip
    area = d.round.areas[0]
    wrong = 10 if area.deprivation_decile != 10 else 1
    draft = FigureDraft(measure.id, "12", area_id=area.id, decile=wrong)
    with pytest.raises(DomainError):
        delivery_reports.report_figure(db.session, d.project("P1"), draft, d.reporter)


def test_a_figure_of_a_measure_by_area_names_its_area(db, delivered):
    d = delivered
    measure = delivery_reports.add_measure(
        db.session, d.round, MeasureDraft("People reached", "people", by_area=True), d.facilitator
    )
    with pytest.raises(DomainError) as refused:
        delivery_reports.report_figure(
            db.session, d.project("P1"), FigureDraft(measure.id, "100"), d.reporter
        )
    assert refused.value.field == "area_id" and "broken down by area" in refused.value.message


def test_a_figure_by_area_and_decile_takes_its_area_s_decile(db, delivered):
    d = delivered
    measure = delivery_reports.add_measure(
        db.session, d.round,
        MeasureDraft("People reached", "people", by_area=True, by_decile=True),
        d.facilitator,
    )  # fmt: skip
    area = d.round.areas[0]
    draft = FigureDraft(measure.id, "12", area_id=area.id)
    figure = delivery_reports.report_figure(db.session, d.project("P1"), draft, d.reporter)
    assert figure.decile == area.deprivation_decile


def test_the_form_offers_no_none_for_a_measure_by_area(app, db, delivered):
    d = delivered
    delivery_reports.add_measure(
        db.session, d.round, MeasureDraft("People reached", "people", by_area=True), d.facilitator
    )
    client = log_in(app.test_client(), d.reporter)
    html = client.get(f"/rounds/{d.round.id}/projects/P1/figures/new").get_data(as_text=True)
    area_select = html[html.index('id="area_id"') :]
    area_select = area_select[: area_select.index("</select>")]
    assert 'value=""' not in area_select and "None" not in area_select

"""impact figures of a broken-down measure.

1. A "latest" (running total) measure broken down by area accepts figures at several levels
   for one project (no breakdown, an area, an area and a decile). Each level is a separate
   "breakdown", so the project's latest totals are added across levels: an organisation
   saying "100 people in all" and then "60 of them in Riverside" counts 160 on the dashboard,
   in dashboard_impact.csv and in the annex.
2. A figure's decile is not checked against its area's decile: a figure for Riverside
   (decile 1) can be recorded as decile 10, and the dashboard's impact by decile follows it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from decide.services import delivery_reports
from decide.services.delivery_reports import FigureDraft, MeasureDraft
from decide.services.errors import DomainError
from decide.services.learning import ImpactFacts
from decide.services.learning_views import combine


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

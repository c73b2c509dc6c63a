"""The public outcome framework on a round's delivery page says how each measure's figures
combine into a total, and how they are broken down."""

from __future__ import annotations

from decide.services import delivery_reports
from decide.services.delivery_reports import MeasureDraft


def test_each_measure_says_how_its_figures_combine(app, db, delivered):
    d = delivered
    for draft in (
        MeasureDraft("People reached", "people", aggregation="latest", by_area=True),
        MeasureDraft("Wellbeing change", "points", may_be_negative=True, aggregation="mean"),
    ):
        delivery_reports.add_measure(db.session, d.round, draft, d.facilitator)
    db.session.commit()
    html = app.test_client().get(f"/rounds/{d.round.id}/delivery").get_data(as_text=True)
    framework = html.split("<h2>Outcome framework</h2>", 1)[1].split("</ul>", 1)[0]
    reached, wellbeing = framework.split("<li>")[1:3]
    assert "Latest figure of each project (running totals)" in reached and "by area" in reached
    assert "Average of the figures (scores)" in wellbeing and "Reported by" not in wellbeing

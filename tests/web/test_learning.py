"""The learning dashboard and open data over HTTP (acceptance 2 of issue 16).

The dashboard's money per decile is recomputed here from the open-data CSVs alone, and one
round's allocation from its published .pb with decide's own rules; every data package passes
`frictionless validate`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from audits import recompute
from ballots import pabulib
from ballots.wording import money
from decide.demo.results import demo_choices
from decide.services import learning_cache, ledger
from tests.helpers.learning import account, mark_voters, published_round


@pytest.fixture(autouse=True)
def _fresh_cache():
    learning_cache.clear()
    yield
    learning_cache.clear()


@pytest.fixture
def rounds(db):
    first = published_round(
        db.session, "Learning <one> & co", voters=demo_choices()[:90], rule="greedy",
        voting_close=dt.date(2026, 3, 1),
    )  # fmt: skip
    second = published_round(
        db.session, "Learning two", voters=demo_choices()[90:200], phase="delivery",
        voting_close=dt.date(2027, 3, 1),
    )  # fmt: skip
    mark_voters(db.session, first, {"riverside": 12, "hillfoot": 4})
    mark_voters(db.session, second, {"riverside": 20})
    return first, second


def _pay(db, rnd, code: str, pence: int) -> None:
    facilitator = account(db.session, "learning-facilitator@test.example")
    form = ledger.PaymentForm(
        code, pence, dt.date(2027, 5, 1), f"REF-{code}", "Fay", reason="Paid ahead to start"
    )
    ledger.record_payment(db.session, rnd, form, facilitator)


def _funded(db, rnd) -> list[str]:
    return [p.code for p in ledger.spend_by_project(db.session, rnd)]


def _csv(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_money_per_decile_on_the_dashboard_is_recomputed_from_the_csvs_alone(app, db, rounds):
    first, second = rounds
    _pay(db, first, _funded(db, first)[0], 12_345)
    _pay(db, second, _funded(db, second)[1], 50_001)
    client = app.test_client()
    page = client.get("/learning").get_data(as_text=True)

    areas = {a["area"]: a for a in _csv(client, "/data/areas.csv")}
    projects = _csv(client, "/data/projects.csv")
    payments = _csv(client, "/data/payments.csv")
    decile_of = {slug: int(a["deprivation_decile"]) for slug, a in areas.items()}
    population: dict[int, int] = defaultdict(int)
    for a in areas.values():
        population[int(a["deprivation_decile"])] += int(a["population"])
    area_of = {(p["round"], p["code"]): p["area"] for p in projects}
    allocated: dict[int, Fraction] = defaultdict(Fraction)
    paid: dict[int, int] = defaultdict(int)
    for p in projects:
        allocated[decile_of[p["area"]]] += Fraction(p["allocated_pence"])
    for pay in payments:
        paid[decile_of[area_of[(pay["round"], pay["code"])]]] += int(pay["amount_pence"])
    assert sum(paid.values()) == 12_345 + 50_001

    for d in sorted(population):
        per_resident = allocated[d] / population[d]
        paid_per_resident = Fraction(paid[d], population[d])
        row = (
            f'<tr><th scope="row">Decile {d}</th><td class="num">{population[d]:,}</td>'
            f'<td class="num">{money(allocated[d])}</td><td class="num">{money(paid[d])}</td>'
            f'<td class="num">{money(per_resident)}</td>'
            f'<td class="num">{money(paid_per_resident)}</td></tr>'
        )
        assert row in page, f"decile {d} differs from the CSVs"


def test_a_published_allocation_is_recomputed_from_its_pb_and_the_csvs(app, db, rounds):
    client = app.test_client()
    for rnd in rounds:
        pb = client.get(f"/data/rounds/{rnd.slug}/ballots.pb")
        assert pb.status_code == 200
        parsed = pabulib.parse(pb.get_data(as_text=True))
        (meta,) = _csv(client, f"/data/rounds/{rnd.slug}/rounds.csv")
        result = recompute.allocation(
            meta["rule"], parsed.instance, parsed.profile,
            json.loads(meta["rule_parameters"]), json.loads(meta["tie_break"]),
        )  # fmt: skip
        published = {
            r["code"]: Fraction(r["amount_pence"])
            for r in _csv(client, f"/data/rounds/{rnd.slug}/results.csv")
            if r["selected"] == "true"
        }
        assert result.amounts == published and published


def _download_package(client, base: str, folder: Path) -> Path:
    response = client.get(f"{base}/datapackage.json")
    assert response.status_code == 200
    package = response.get_json()
    folder.mkdir(parents=True)
    (folder / "datapackage.json").write_bytes(response.get_data())
    for resource in package["resources"]:
        data = client.get(f"{base}/{resource['path']}")
        assert data.status_code == 200, resource["path"]
        (folder / resource["path"]).write_bytes(data.get_data())
    return folder / "datapackage.json"


def test_every_data_package_passes_frictionless_validation(app, db, rounds, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    _pay(db, rounds[0], _funded(db, rounds[0])[0], 999)
    client = app.test_client()
    packages = [_download_package(client, "/data", tmp_path / "site")]
    packages += [
        _download_package(client, f"/data/rounds/{r.slug}", tmp_path / r.slug) for r in rounds
    ]
    for path in packages:
        report = frictionless.validate(str(path))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    site = json.loads((tmp_path / "site" / "datapackage.json").read_text())
    assert site["licenses"][0]["name"] == "CC-BY-4.0"


def test_dashboard_is_public_server_rendered_and_filtered_by_url(app, db, rounds):
    client = app.test_client()
    response = client.get("/learning")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert page.count("<svg") >= 5
    assert " style=" not in page and "<style" not in page
    assert "Learning &lt;one&gt; &amp; co" in page and "<one>" not in page
    assert "Each rule&#39;s coverage" in page or "Each rule's coverage" in page
    # Rules are named in words, in the chart and its summary as in the table.
    assert not re.search(r">[^<]*\b(equal-shares|greedy-cost|phragmen)\b", page)

    # Follow the money: each funded project links to its page, which lists its ledger entries.
    funded = _funded(db, rounds[0])[0]
    link = f'href="/rounds/{rounds[0].id}/projects/{funded}"'
    assert link in page
    assert client.get(f"/rounds/{rounds[0].id}/projects/{funded}").status_code == 200

    one = client.get(f"/learning?round={rounds[0].slug}").get_data(as_text=True)
    assert "Over 1 round" in one
    assert "selected>1. Learning &lt;one&gt;" in one
    decile = client.get("/learning?decile=1").get_data(as_text=True)
    assert '<th scope="row">Decile 1</th>' in decile
    assert '<th scope="row">Decile 9</th>' not in decile
    resident = client.get("/learning?partner=resident").get_data(as_text=True)
    assert '<th scope="row">Community asset</th>' not in resident


def test_a_bad_filter_says_so_and_shows_everything(app, db, rounds):
    client = app.test_client()
    response = client.get("/learning?decile=11&partner=%00&round=nope")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="error-summary"' in page
    assert "whole number from 1 to 10" in page and "no round with published results" in page


def test_a_payment_shows_on_the_next_view_without_rebuilding_for_every_view(app, db, rounds):
    client = app.test_client()
    client.get("/learning")
    built = learning_cache.current_facts(db.session)
    assert learning_cache.current_facts(db.session) is built  # kept between views
    _pay(db, rounds[1], _funded(db, rounds[1])[0], 7_777)
    after = learning_cache.current_facts(db.session)
    assert after is not built
    assert sum(p.paid for p in after.projects) == 7_777


def test_atom_feed_is_valid_and_escaped(app, db, rounds):
    response = app.test_client().get("/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())  # noqa: S314 - our own output
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for tag in ("id", "title", "updated"):
        assert root.find(f"a:{tag}", ns) is not None
    entries = root.findall("a:entry", ns)
    assert len(entries) == 2
    for e in entries:
        assert e.find("a:id", ns).text and e.find("a:updated", ns).text.endswith("Z")
        assert e.find("a:link", ns).get("href").startswith("http")
    titles = [e.find("a:title", ns).text for e in entries]
    assert "Results published: Learning <one> & co" in titles
    assert b"Learning &lt;one&gt; &amp; co" in response.get_data()


def test_open_data_leaves_drafts_out_and_names_nobody(app, db, rounds):
    client = app.test_client()
    assert client.get("/data/rounds/nope/projects.csv").status_code == 404
    assert client.get("/data/nothing.csv").status_code == 404
    assert client.get("/data/rounds/x/dashboard_coverage.csv").status_code == 404
    body = client.get("/data/proposals.json").get_data(as_text=True)
    assert "results-author" not in body and "@" not in body
    index = client.get("/data").get_data(as_text=True)
    assert "Creative Commons Attribution 4.0" in index and 'rel="license"' in index


def test_delivery_on_the_dashboard_and_withdrawn_stories_nowhere_in_open_data(app, db, rounds):
    from decide.models import ImpactFigure, Milestone, OutcomeMeasure, Project, Story

    rnd = rounds[1]
    code = _funded(db, rnd)[0]
    project = db.session.query(Project).filter_by(round_id=rnd.id, code=code).one()
    author = account(db.session, "learning-org@test.example")
    now = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
    db.session.add_all(
        [
            Milestone(project_id=project.id, position=0, title="Shelf bought",
                      planned_on=dt.date(2027, 6, 1), tranche_pence=1000, status="completed"),
            Milestone(project_id=project.id, position=1, title="Opened",
                      planned_on=dt.date(2027, 9, 1), tranche_pence=1000, status="delayed"),
        ]
    )  # fmt: skip
    measure = OutcomeMeasure(round_id=rnd.id, position=0, name="People reached", unit="people")
    db.session.add(measure)
    db.session.flush()
    for value in ("120", "35.5"):
        db.session.add(
            ImpactFigure(measure_id=measure.id, project_id=project.id, value=value,
                         organisation_id=project.organisation_id, author_id=author.id,
                         created_at=now)
        )  # fmt: skip
    for title, withdrawn in (("Kept story", None), ("Withdrawn story", now)):
        db.session.add(
            Story(project_id=project.id, organisation_id=project.organisation_id,
                  author_id=author.id, title=title, text="What changed for me.",
                  consent_by="A resident", consent_on=dt.date(2027, 6, 2),
                  consent_use="On this site and in its open data", withdrawn_at=withdrawn,
                  consent_page=True, consent_open_data=True,
                  created_at=now)
        )  # fmt: skip
    db.session.commit()
    client = app.test_client()
    page = client.get("/learning").get_data(as_text=True)
    # The "completed" milestone is not confirmed by the facilitator, so it does not count yet.
    assert "2 milestones planned for the funded projects: 0 completed" in page
    assert "1 more awaits confirmation" in page
    assert '<th scope="row">People reached</th><td>people</td><td class="num">155.5</td>' in page
    for url in ("/data/stories.csv", f"/data/rounds/{rnd.slug}/stories.json"):
        body = client.get(url).get_data(as_text=True)
        assert "Kept story" in body and "Withdrawn story" not in body and "A resident" not in body
    impact = _csv(client, "/data/impact.csv")
    assert sorted(Fraction(r["value"]) for r in impact) == [Fraction(71, 2), 120]
    milestones = _csv(client, f"/data/rounds/{rnd.slug}/milestones.csv")
    assert [m["status"] for m in milestones] == ["completed", "delayed"]


def _recompute_impact(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], Fraction]:
    """Combine impact.csv's rows as their aggregation column says (rows in the order reported)."""
    by_measure: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_measure[(r["measure"], r["unit"], r["aggregation"])].append(r)
    out = {}
    for key, figures in by_measure.items():
        values = [Fraction(r["value"]) for r in figures]
        if key[2] == "mean":
            out[key] = sum(values, Fraction(0)) / len(values)
        elif key[2] == "latest":  # each project's last row per breakdown, then added up
            last = {(r["round"], r["code"], r["area"], r["decile"]): Fraction(r["value"])
                    for r in figures}  # fmt: skip
            out[key] = sum(last.values(), Fraction(0))
        else:
            out[key] = sum(values, Fraction(0))
    return out


def test_impact_totals_on_the_dashboard_are_recomputed_from_the_impact_csv(app, db, rounds):
    from decide.models import ImpactFigure, OutcomeMeasure, Project

    author = account(db.session, "learning-org@test.example")
    when = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
    reported = {  # per measure: (aggregation, figures per project in the order reported)
        ("People reached", "people"): ("latest", (("40", "70"), ("25",))),
        ("Wellbeing change", "points"): ("mean", (("2.5", "-1"), ("1",))),
        ("Sessions held", "sessions"): ("sum", (("4", "6"), ("3",))),
    }
    for rnd in rounds:
        projects = [db.session.query(Project).filter_by(round_id=rnd.id, code=c).one()
                    for c in _funded(db, rnd)[:2]]  # fmt: skip
        for position, ((name, unit), (aggregation, per_project)) in enumerate(reported.items()):
            measure = OutcomeMeasure(round_id=rnd.id, position=position, name=name, unit=unit,
                                     aggregation=aggregation, may_be_negative=True)  # fmt: skip
            db.session.add(measure)
            db.session.flush()
            for project, values in zip(projects, per_project, strict=True):
                for k, value in enumerate(values):
                    db.session.add(
                        ImpactFigure(measure_id=measure.id, project_id=project.id, value=value,
                                     organisation_id=project.organisation_id,
                                     author_id=author.id, created_at=when + dt.timedelta(days=k))
                    )  # fmt: skip
    db.session.commit()
    client = app.test_client()
    page = client.get("/learning").get_data(as_text=True)
    recomputed = _recompute_impact(_csv(client, "/data/impact.csv"))
    # Over two rounds: latest 70 + 25 twice; mean of six figures; every session added.
    assert recomputed == {
        ("People reached", "people", "latest"): Fraction(190),
        ("Wellbeing change", "points", "mean"): Fraction(5, 6),
        ("Sessions held", "sessions", "sum"): Fraction(26),
    }
    aggregates = {(r["measure"], r["unit"], r["aggregation"]): r
                  for r in _csv(client, "/data/dashboard_impact.csv")}  # fmt: skip
    for key, total in recomputed.items():
        assert Fraction(aggregates[key]["total"]) == round(total, 6)
        shown = "about 0.83" if total == Fraction(5, 6) else str(total)
        assert f'<th scope="row">{key[0]}</th><td>{key[1]}</td><td class="num">{shown}</td>' in page


def test_the_dashboard_cache_is_keyed_by_the_parsed_filters_and_bounded(app, db, rounds):
    client = app.test_client()
    client.get("/learning?decile=3")
    kept = learning_cache.size()
    for same in ("/learning?decile=03", "/learning?decile=3&utm=x", "/learning?decile=003&area="):
        assert client.get(same).status_code == 200
    assert learning_cache.size() == kept  # the same entry, not new ones
    assert client.get("/learning?decile=" + "9" * 5000).status_code == 400  # not a 500
    for n in range(learning_cache.MAX_ENTRIES + 50):
        learning_cache.cached(db.session, ("test", n), lambda n=n: n)
    assert learning_cache.size() == learning_cache.MAX_ENTRIES
    assert learning_cache.cached(db.session, ("test", 0), lambda: "rebuilt") == "rebuilt"


def test_a_manifest_without_readable_ballots_does_not_break_the_dashboard(app, db, rounds):
    from decide.models.publication import RoundManifest

    row = db.session.get(RoundManifest, rounds[0].id)
    row.ballots_pb = b""
    db.session.commit()
    response = app.test_client().get("/learning")
    assert response.status_code == 200

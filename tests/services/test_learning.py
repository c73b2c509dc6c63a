"""The learning dashboard's facts and figures, from published rounds and the ledger."""

from __future__ import annotations

from fractions import Fraction

import pytest

from decide.demo.results import demo_choices
from decide.services import learning, learning_cache
from decide.services.learning_views import (
    Filters,
    coverage_by_rule,
    money_by_decile,
    partners,
    turnout_by_area,
)
from tests.helpers.learning import mark_voters, published_round


@pytest.fixture(autouse=True)
def _fresh_cache():
    learning_cache.clear()
    yield
    learning_cache.clear()


@pytest.fixture
def two_rounds(db):
    first = published_round(db.session, "Learning one", voters=demo_choices()[:80], rule="greedy")
    second = published_round(db.session, "Learning two", voters=demo_choices()[80:200])
    mark_voters(db.session, first, {"riverside": 30, "moorfield": 10})
    mark_voters(db.session, second, {"riverside": 5})
    return first, second


def test_coverage_counts_voters_with_a_funded_project_from_the_ballot_file(db, two_rounds):
    from audits.manifest import Manifest
    from decide.models import RoundManifest

    facts = learning.facts(db.session)
    assert [r.slug for r in facts.rounds] == [r.slug for r in two_rounds]
    for rnd, row in zip(two_rounds, facts.rounds, strict=True):
        m = Manifest.from_json_bytes(db.session.get(RoundManifest, rnd.id).manifest_json)
        funded = {code for code, amount in m.allocation.items() if amount > 0}
        # By hand, from the ballots the factory cast (demo keys -> codes P1, P2, ...).
        voters = demo_choices()[:80] if rnd is two_rounds[0] else demo_choices()[80:200]
        from tests.results.factory import project_codes

        codes = project_codes()
        expected = sum(1 for _, keys in voters if funded & {codes[k] for k in keys})
        assert (row.voters, row.covered) == (len(voters), expected)
        assert 0 < row.covered <= row.voters
    rules = {c.rule: c for c in coverage_by_rule(facts, Filters())}
    assert set(rules) == {"greedy", "equal-shares"}
    assert rules["greedy"].voters == 80


def test_turnout_per_thousand_by_area_is_exact(db, two_rounds):
    facts = learning.facts(db.session)
    rates = {r.label: r for r in turnout_by_area(facts, Filters())}
    riverside = rates["Riverside"]
    assert riverside.voters == 35 and riverside.rounds == 2
    assert riverside.per_thousand == Fraction(35 * 1000, riverside.population * 2)
    one = {r.label: r for r in turnout_by_area(facts, Filters(round=two_rounds[0].slug))}
    assert one["Moorfield"].voters == 10 and one["Riverside"].voters == 30
    assert facts.rounds[0].unplaced == 80 - 40


def test_money_by_decile_sums_the_allocation_and_the_ledger(db, two_rounds):
    from audits.manifest import Manifest
    from decide.models import Area, Project, RoundManifest

    facts = learning.facts(db.session)
    expected: dict[int, Fraction] = {}
    for rnd in two_rounds:
        m = Manifest.from_json_bytes(db.session.get(RoundManifest, rnd.id).manifest_json)
        for code, amount in m.allocation.items():
            project = db.session.query(Project).filter_by(round_id=rnd.id, code=code).one()
            decile = db.session.get(Area, project.area_id).deprivation_decile
            expected[decile] = expected.get(decile, Fraction(0)) + amount
    got = {d.decile: d.allocated for d in money_by_decile(facts, Filters()) if d.allocated}
    assert got == expected
    only = money_by_decile(facts, Filters(decile=1))
    assert [d.decile for d in only] == [1]


def test_partner_types_follow_the_proposer(db, two_rounds):
    facts = learning.facts(db.session)
    counts = {p.partner: p for p in partners(facts, Filters())}
    assert set(counts) == set(learning.PARTNER_TYPES)
    assert sum(c.proposals for c in counts.values()) == len(facts.proposals) > 0
    assert sum(c.funded for c in counts.values()) == sum(1 for p in facts.projects if p.funded)
    assert learning.partner_type(None) == "resident"
    assert learning.partner_type("statutory") == "statutory"
    assert learning.partner_type("research") == "researcher"
    assert learning.partner_type("faith") == "community-asset"


def test_the_pdf_annex_agrees_with_the_signed_files(db, two_rounds):
    from audits.annex import DeliveryAnnex, consistency_problems
    from audits.manifest import Manifest
    from ballots import pabulib
    from decide.models import RoundManifest
    from decide.services.learning_annex import annex_for

    rnd = two_rounds[0]
    row = db.session.get(RoundManifest, rnd.id)
    manifest = Manifest.from_json_bytes(row.manifest_json)
    code = sorted(manifest.allocation)[0]
    annex = annex_for(db.session, rnd, manifest, {code: 1_234})
    assert annex is not None and annex.voters == 80
    assert DeliveryAnnex.from_json_bytes(annex.to_json_bytes()) == annex
    ballots = pabulib.parse(row.ballots_pb.decode()).profile.ballots
    assert consistency_problems(annex, manifest, {code: 1_234}, ballots) == []
    assert consistency_problems(annex, manifest, {code: 1_235}, ballots)
    assert sum(d.paid for d in annex.deciles) == 1_234
    assert {t.area for t in annex.turnout if t.voters} == {"Riverside", "Moorfield"}

"""pabulib import and export: replayed elections, exact money, anonymised export, bad files."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from ballots import pabulib
from decide.models import Round
from decide.services import ballot_box, pb_io
from tests.helpers.sessions import log_in as login
from tests.voting.helpers import TODAY, row_counts

SMALL = 200_000  # bytes: the larger files are imported by the CLI test and by hand


def _small_files(pabulib_dir):
    return sorted(p for p in pabulib_dir.glob("*.pb") if p.stat().st_size < SMALL)


@pytest.mark.slow
def test_every_small_pabulib_file_imports_and_exports_the_same_election(db, pabulib_dir):
    files = _small_files(pabulib_dir)
    assert len(files) >= 10
    for path in files:
        original = pabulib.parse(path.read_text(encoding="utf-8"))
        # Amsterdam 604 has one vote that lists projects twice: read it once, as pabutools does.
        rnd = pb_io.import_pb(
            db.session, path.read_text(encoding="utf-8"), today=TODAY, repeats="merge"
        )
        assert rnd.phase == "closed"
        assert ballot_box.verify_round_chain(db.session, rnd.id).ok, path.name
        exported = pabulib.parse(pb_io.export_pb(db.session, rnd.id))
        inst, prof = original.instance, original.profile
        assert exported.instance.budget == inst.budget, path.name
        assert [(p.id, p.cost) for p in exported.instance.projects] == [
            (p.id, p.cost) for p in inst.projects
        ], path.name
        assert exported.profile.vote_type == prof.vote_type
        assert [(b.projects, b.points) for b in exported.profile.ballots] == [
            (tuple(dict.fromkeys(b.projects)), b.points) for b in prof.ballots
        ], path.name
        voter_ids = {b.voter_id for b in exported.profile.ballots}
        assert len(voter_ids) == len(prof.ballots) and all(len(v) == 32 for v in voter_ids)


def test_a_vote_listing_a_project_twice_is_refused_unless_merged(db, pabulib_dir):
    text = (pabulib_dir / "Netherlands_Amsterdam_604.pb").read_text(encoding="utf-8")
    before = row_counts(db.session)
    with pytest.raises(pb_io.PbImportError, match=r"^line 1927: voter 13650977333 lists project"):
        pb_io.import_pb(db.session, text, today=TODAY)
    assert row_counts(db.session) == before
    rnd = pb_io.import_pb(db.session, text, today=TODAY, repeats="merge")
    _instance, profile = pb_io.round_election(db.session, rnd.id)
    assert all(len(set(b.projects)) == len(b.projects) for b in profile.ballots)
    assert len(profile.ballots) == 2324


def test_round_election_is_in_pence(db, pabulib_dir):
    path = pabulib_dir / "Netherlands_Amsterdam_643.pb"
    rnd = pb_io.import_pb(db.session, path.read_text(encoding="utf-8"), today=TODAY)
    instance, profile = pb_io.round_election(db.session, rnd.id)
    original = pabulib.parse(path.read_text(encoding="utf-8"))
    assert instance.budget == original.instance.budget * 100
    assert len(profile.ballots) == len(original.profile.ballots)


def test_more_than_two_decimals_is_refused(db):
    text = (
        "META\nkey;value\nbudget;100.125\nvote_type;approval\n"
        "PROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote\n1;1\n"
    )
    before = row_counts(db.session)
    with pytest.raises(pb_io.PbImportError, match="more than two decimals"):
        pb_io.import_pb(db.session, text, today=TODAY)
    assert row_counts(db.session) == before
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_decimal_costs_are_exact_pence(db):
    text = (
        "META\nkey;value\nbudget;1000.5\nvote_type;approval\n"
        "PROJECTS\nproject_id;cost\n1;250.25\n2;99.99\nVOTES\nvoter_id;vote\nv1;1,2\n"
    )
    rnd = pb_io.import_pb(db.session, text, today=TODAY)
    assert rnd.budget_pence == 100_050
    assert sorted(p.cost_pence for p in rnd.projects) == [9_999, 25_025]
    out = pabulib.parse(pb_io.export_pb(db.session, rnd.id))
    assert [p.cost for p in out.instance.projects] == [Fraction("250.25"), Fraction("99.99")]


def test_malformed_upload_names_the_line_and_writes_nothing(client, db):
    from tests.voting.helpers import make_user

    login(client, make_user(db.session, is_facilitator=True))
    text = (
        "META\nkey;value\nbudget;100\nvote_type;approval\n"
        "PROJECTS\nproject_id;cost\n1;50\n2;lots\nVOTES\nvoter_id;vote\n1;1\n"
    )
    before = row_counts(db.session)
    response = client.post(
        "/rounds/import-pb",
        data={"pb_file": (io.BytesIO(text.encode()), "bad.pb")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "line 8" in page and "Nothing was imported" in page
    assert row_counts(db.session) == before
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0
    good = text.replace("2;lots", "2;30")
    response = client.post(
        "/rounds/import-pb",
        data={"pb_file": (io.BytesIO(good.encode()), "good.pb")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303

"""The postcode -> area table: uploads with a report of bad rows, per round or global, and
eligibility that lists postcodes in full instead of guessing from their first half."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from decide.models import Area, PostcodeArea, Round
from decide.services import eligibility as elig
from decide.services import postcodes
from tests.web.world import login, make_user

TODAY = dt.date(2027, 5, 10)


def _upload(client, url: str, text: str):
    return client.post(
        url, data={"file": (io.BytesIO(text.encode()), "postcodes.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip


def test_a_table_with_bad_rows_stores_nothing_and_lists_each_line(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    text = (
        "postcode,area\n"
        "nb1  1aa,Riverside\n"
        "NOT A POSTCODE,Riverside\n"
        "NB2 2BB,Atlantis\n"
        "NB1 1AA,Moorfield\n"
        "NB3 3CC\n"
    )
    response = _upload(client, "/postcodes", text)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "line 3: &#39;NOT A POSTCODE&#39; is not a UK postcode" in html
    assert "line 4: there is no area called &#39;Atlantis&#39;" in html
    assert "line 5: NB1 1AA is already in another area on line 2" in html
    assert "line 6: expected 2 columns, found 1" in html
    assert 'id="error-summary"' in html
    assert db.session.query(PostcodeArea).count() == 0


def test_a_good_table_replaces_the_global_one_normalised(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    assert _upload(client, "/postcodes", "postcode,area\nnb1 9zz,Moorfield\n").status_code == 302
    text = "\ufeffPostcode,Area\nnb1  1aa,riverside\nNB12AB,Moorfield\n"
    response = _upload(client, "/postcodes", text)
    assert response.status_code == 302
    rows = {(r.postcode, r.area_id, r.round_id) for r in db.session.query(PostcodeArea)}
    riverside, moorfield = world.areas
    assert rows == {("NB1 1AA", riverside.id, None), ("NB1 2AB", moorfield.id, None)}
    page = client.get("/postcodes").get_data(as_text=True)
    assert "The global table lists 2 postcodes" in page


def test_a_rounds_own_table_is_used_instead_of_the_global_one(app, db, world):
    riverside, moorfield = world.areas
    rnd = world.round
    postcodes.upload_table(db.session, None, "postcode,area\nNB1 1AA,Riverside\n")
    assert postcodes.area_of_postcode(db.session, rnd.id, "nb1 1aa") == riverside.id
    client = login(app.test_client(), world.user("facilitator"))
    response = _upload(client, f"/rounds/{rnd.id}/postcodes", "postcode,area\nNB1 1AA,Moorfield\n")
    assert response.status_code == 302
    assert postcodes.area_of_postcode(db.session, rnd.id, "NB1 1AA") == moorfield.id
    assert postcodes.area_of_postcode(db.session, world.draft.id, "NB1 1AA") == riverside.id
    page = client.get(f"/rounds/{rnd.id}/postcodes").get_data(as_text=True)
    assert "This round has its own table of 1 postcodes" in page


@pytest.mark.parametrize(
    ("postcode", "allowed"),
    [("NB1 1AA", True), ("nb11aa", True), ("NB1 1AB", False), ("NB1", False), (None, False)],
)
def test_eligibility_needs_the_postcode_listed_in_full(db, world, postcode, allowed):
    riverside = world.areas[0]
    postcodes.upload_table(db.session, None, "postcode,area\nNB1 1AA,Riverside\n")
    rnd = Round(title="Vote", slug="vote", budget_pence=100, phase="voting", ballot_kind="approval")
    rnd.areas = [riverside]
    db.session.add(rnd)
    voter = make_user(db.session, "listed@test.example", postcode=postcode)
    db.session.commit()
    if allowed:
        elig.check_user(db.session, rnd, voter, TODAY)
    else:
        with pytest.raises(elig.EligibilityError, match=r"could not place|Add your postcode"):
            elig.check_user(db.session, rnd, voter, TODAY)


def test_areas_are_named_by_name_or_slug_in_any_case(db, world):
    areas = list(db.session.query(Area))
    rows = postcodes.parse_table("postcode,area\nNB1 1AA,RIVERSIDE\nNB1 1AB,moorfield\n", areas)
    assert sorted(rows) == [("NB1 1AA", world.areas[0].id), ("NB1 1AB", world.areas[1].id)]


def test_the_tables_lock_when_voting_opens(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    rnd = world.round
    table = "postcode,area\nNB1 1AA,Riverside\n"
    assert _upload(client, f"/rounds/{rnd.id}/postcodes", table).status_code == 302
    rnd.phase = "voting"
    db.session.commit()
    refused = _upload(client, f"/rounds/{rnd.id}/postcodes", "postcode,area\nNB1 1AA,Moorfield\n")
    assert refused.status_code == 422
    assert "its postcode table can no longer change" in refused.get_data(as_text=True)
    assert postcodes.area_of_postcode(db.session, rnd.id, "NB1 1AA") == world.areas[0].id
    # The round has its own table, so the global one may still change...
    assert _upload(client, "/postcodes", table).status_code == 302
    # ...but not while a round open for voting relies on it.
    other = Round(
        title="Global vote", slug="global-vote", budget_pence=100, phase="voting",
        ballot_kind="approval",
    )  # fmt: skip
    db.session.add(other)
    db.session.commit()
    blocked = _upload(client, "/postcodes", "postcode,area\nNB1 1AA,Moorfield\n")
    assert blocked.status_code == 422
    assert "“Global vote”" in blocked.get_data(as_text=True)

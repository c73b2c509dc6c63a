"""The sortition pages through the test client: registering interest with clear errors,
seeing and withdrawing only one's own registration, quotas by CSV, the infeasible-quotas
message, the draw, and the public record with RECORD.json."""

from __future__ import annotations

import io
import json
import re

from decide import sortition as pure
from decide.services import sortition
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.world import login

FORM = {"area_id": "", "age_band": "25-44", "gender": "woman", "partner_type": "resident"}


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_volunteer_registers_sees_only_their_own_and_withdraws(app, db, world):
    url = f"/rounds/{world.round.id}/panel/volunteer"
    citizen = login(app.test_client(), world.users["citizen"])
    refused = citizen.post(url, data={**FORM, "area_id": str(world.areas[1].id)})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and 'id="error-summary"' in html
    assert "Tick the box to give your consent" in html
    assert sortition.volunteers_of(db.session, world.round) == []
    done = citizen.post(url, data={**FORM, "area_id": str(world.areas[1].id), "consent": "y"})
    assert done.status_code == 303
    mine = sortition.volunteer_of(db.session, world.round, world.users["citizen"])
    assert mine.features()["deprivation_decile"] == "8"
    assert mine.pseudonym in citizen.get(url).get_data(as_text=True)
    # Another person sees a blank form, never the citizen's registration, and cannot withdraw it.
    other = login(app.test_client(), world.users["asset_member"])
    assert mine.pseudonym not in other.get(url).get_data(as_text=True)
    other.post(f"{url}/withdraw")
    assert sortition.volunteer_of(db.session, world.round, world.users["citizen"]) is not None
    assert citizen.post(f"{url}/withdraw").status_code == 303
    assert sortition.volunteer_of(db.session, world.round, world.users["citizen"]) is None


def test_the_facilitator_sets_quotas_by_csv_sees_the_conflict_then_draws(app, db, world):
    rnd = world.round
    fill_pool(db.session, world, rnd, 10)
    fay = login(app.test_client(), world.users["facilitator"])
    base = f"/rounds/{rnd.id}/panel"
    assert fay.post(f"{base}/size", data={"panel_size": "4"}).status_code == 303
    bad = fay.post(f"{base}/quotas", data={"quotas": "feature,value,min,max\ngender,woman,x,2\n"})
    assert "error-summary" in bad.get_data(as_text=True)
    impossible = b"feature,value,min,max\ngender,other,3,4\n"
    upload = {"quotas": "", "upload": (io.BytesIO(impossible), "quotas.csv")}
    assert fay.post(f"{base}/quotas", data=upload).status_code == 303
    page = fay.post(f"{base}/lottery").get_data(as_text=True)
    assert 'id="error-summary"' in page and "at least 3 with gender = other" in page
    assert not sortition.settings_of(db.session, rnd).pool_closed
    ok = "feature,value,min,max\ngender,woman,1,4\ngender,man,1,4\n"
    assert fay.post(f"{base}/quotas", data={"quotas": ok}).status_code == 303
    assert fay.post(f"{base}/lottery").status_code == 303
    assert fay.post(f"{base}/seed", data={"seed": "short"}).status_code == 200
    assert fay.post(f"{base}/seed", data={"seed": "numbers 3 14 15 92"}).status_code == 303
    assert fay.post(f"{base}/draw").status_code == 303
    record = json.loads(app.test_client().get(f"{base}/RECORD.json").data)
    assert all(check.ok for check in pure.verify_record(record))
    public = _main(app.test_client().get(f"{base}/record").get_data(as_text=True))
    assert "numbers 3 14 15 92" in public and record["selected"][0] in public


def test_after_the_draw_each_volunteer_learns_whether_they_were_drawn(app, db, world):
    import datetime as dt

    from decide.models import PanelMember

    rnd = world.round
    drawn, passed_over = fill_pool(db.session, world, rnd, 2)
    url = f"/rounds/{rnd.id}/panel/volunteer"
    before = _main(login(app.test_client(), drawn.user).get(url).get_data(as_text=True))
    assert "You have been drawn" not in before and "not drawn" not in before
    sortition.set_panel(db.session, rnd, 1)
    settings = sortition.settings_of(db.session, rnd)
    settings.drawn_at = dt.datetime.now(dt.UTC)
    db.session.add(PanelMember(round_id=rnd.id, user_id=drawn.user_id))
    db.session.commit()
    mine = _main(login(app.test_client(), drawn.user).get(url).get_data(as_text=True))
    assert "You have been drawn for the panel" in mine and f"/rounds/{rnd.id}/sessions" in mine
    theirs = _main(login(app.test_client(), passed_over.user).get(url).get_data(as_text=True))
    assert "you were not drawn this time" in theirs and "You have been drawn" not in theirs


def test_replacements_need_their_own_seed_announced_first(app, db, world):
    rnd = world.round
    fill_pool(db.session, world, rnd, 30)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    sortition.compute_lottery(db.session, rnd)
    sortition.announce_seed(db.session, rnd, "numbers 3 14 15 92")
    sortition.draw_panel(db.session, rnd)
    fay = login(app.test_client(), world.users["facilitator"])
    base = f"/rounds/{rnd.id}/panel"
    page = fay.get(f"{base}/sortition").get_data(as_text=True)
    assert "Record the replacement seed" in page and "Draw replacements" not in page
    seed = {"replacement-seed": "replacement numbers 2 7 1 8"}
    assert fay.post(f"{base}/replacement-seed", data=seed).status_code == 303
    page = fay.get(f"{base}/sortition").get_data(as_text=True)
    assert "replacement numbers 2 7 1 8" in page and "Draw replacements" in page
    assert re.search(r"Volunteer \d+ \(V-[0-9a-f]+\)", page)  # named for the facilitator

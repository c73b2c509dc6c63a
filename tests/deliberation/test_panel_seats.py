"""Once the panel is drawn by lot, its seats change only through recorded replacements."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from decide.models import PanelMember
from decide.services import rounds as round_service
from decide.services import sortition
from decide.services.errors import DomainError
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.world import login, make_user


def _drawn(db, world):
    rnd = world.round
    fill_pool(db.session, world, rnd, 10)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    sortition.compute_lottery(db.session, rnd)
    sortition.announce_seed(db.session, rnd, "a3f1 public meeting numbers 4 17 23")
    sortition.draw_panel(db.session, rnd)
    return rnd


def _seated(db, rnd):
    return sorted(
        db.session.scalars(select(PanelMember.user_id).where(PanelMember.round_id == rnd.id))
    )


def test_a_drawn_panel_refuses_seats_given_or_taken_by_hand(db, world):
    rnd = _drawn(db, world)
    before = _seated(db, rnd)
    outsider = make_user(db.session, "outsider@test.example", "Outsider")
    with pytest.raises(DomainError, match="drawn by lot"):
        round_service.add_panel_member(db.session, rnd, outsider.email)
    member = rnd.panel[0]
    with pytest.raises(DomainError, match="drawn by lot"):
        round_service.remove_panel_member(db.session, rnd, member.id)
    assert _seated(db, rnd) == before


def test_the_panel_page_says_why_it_refuses(app, db, world):
    rnd = _drawn(db, world)
    before = _seated(db, rnd)
    make_user(db.session, "outsider@test.example", "Outsider")
    client = login(app.test_client(), world.users["facilitator"])
    page = client.post(
        f"/rounds/{rnd.id}/panel",
        data={"email": "outsider@test.example", "role_title": "Member"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "drawn by lot" in page
    assert _seated(db, rnd) == before

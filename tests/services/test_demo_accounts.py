"""The demo's accounts can vote at once: verified, with postcodes the demo's table lists."""

from __future__ import annotations

from sqlalchemy import select

from decide.demo.foundation import seed_foundation
from decide.demo.voting import seed_voting
from decide.models import User
from decide.services import postcodes
from decide.services.accounts import POSTCODE_EXAMPLE


def test_demo_accounts_are_verified_and_their_postcodes_are_in_the_table(app, db):
    seed_foundation(db.session)
    seed_voting(db.session)
    users = db.session.scalars(select(User)).all()
    assert users and all(u.is_verified for u in users)
    unplaced = [
        u.postcode
        for u in users
        if u.postcode and postcodes.area_of_postcode(db.session, None, u.postcode) is None
    ]
    assert unplaced == []
    assert postcodes.area_of_postcode(db.session, None, POSTCODE_EXAMPLE) is not None

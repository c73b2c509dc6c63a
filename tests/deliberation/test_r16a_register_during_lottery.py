"""Outside test (r16a): registering interest while the lottery is being computed.

`compute_lottery` reads the pool, solves leximin (seconds, in the web request), then closes
the pool; `register_interest` checks that the pool is open and adds a volunteer. Nothing
serialises them, so a volunteer who registers during the solve is stored (and told they are
in the pool) but is not in the published record's pool, so can never be drawn; the record's
pool hash no longer matches the volunteers the round lists. Forced here by registering from
another session while the solver runs.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from decide import sortition as pure
from decide.models import Round, User
from decide.services import sortition
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.world import make_user


def test_no_volunteer_is_added_to_a_pool_whose_lottery_is_computed(db, world, monkeypatch):
    rnd = world.round
    fill_pool(db.session, world, rnd, 10)
    sortition.set_panel(db.session, rnd, 4, [])
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    late = make_user(db.session, "late@test.example", "Late Volunteer")
    db.session.commit()
    round_id, late_id, area_id = rnd.id, late.id, world.areas[0].id
    original = pure.select_distribution

    def solve_while_someone_registers(*args, **kwargs):
        other = Session(db.engine)
        try:
            interest = sortition.Interest(
                consent=True, area_id=area_id, age_band="25-44", gender="woman",
                partner_type="resident", extra={},
            )  # fmt: skip
            try:
                sortition.register_interest(
                    other, other.get(Round, round_id), other.get(User, late_id), interest
                )
            except Exception:  # refused, or waited and refused: the fix's outcome
                other.rollback()
        finally:
            other.close()
        return original(*args, **kwargs)

    monkeypatch.setattr(pure, "select_distribution", solve_while_someone_registers)
    found = sortition.compute_lottery(db.session, rnd)
    db.session.expire_all()
    record = sortition.record_of(found)
    assert record is not None
    listed = {v.pseudonym for v in sortition.volunteers_of(db.session, rnd)}
    assert listed == set(record["probabilities"])

"""Nobody joins a pool, and no quota changes, while its lottery is computed.

`compute_lottery` closes the pool (committed, under the pool's lock) before it reads the pool
and runs the solver, which takes seconds inside the request. A registration from another
connection during the solve is refused with a clear message rather than stored outside the
published record's pool; the pool reopens if the solver fails. The solver is replaced here by
one that first acts from another session, as a second request would.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from decide import sortition as pure
from decide.models import Round, User
from decide.services import sortition
from decide.services.errors import DomainError, InvalidInput
from decide.services.sortition_status import LOTTERY_ABANDONED
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.world import login, make_user


def _ready(db, world) -> Round:
    rnd = world.round
    fill_pool(db.session, world, rnd, 10)
    sortition.set_panel(db.session, rnd, 4, [])
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    return rnd


def _solve_after(monkeypatch, engine, act, *, then_fail: bool = False) -> list[str]:
    """Make the solver first run `act` in a session of its own; return the refusals it met."""
    original = pure.select_distribution
    refusals: list[str] = []

    def solve(*args, **kwargs):
        other = Session(engine)
        try:
            act(other)
        except DomainError as error:
            other.rollback()
            refusals.append(error.message)
        finally:
            other.close()
        if then_fail:
            raise pure.PoolError("the solver failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(pure, "select_distribution", solve)
    return refusals


def test_a_registration_during_the_solve_is_refused_and_not_left_out(db, world, monkeypatch):
    rnd = _ready(db, world)
    late = make_user(db.session, "late@test.example", "Late Volunteer")
    db.session.commit()
    round_id, late_id = rnd.id, late.id
    interest = sortition.Interest(
        consent=True, area_id=world.areas[0].id, age_band="25-44", gender="woman",
        partner_type="resident", extra={},
    )  # fmt: skip

    def register(other: Session) -> None:
        sortition.register_interest(
            other, other.get(Round, round_id), other.get(User, late_id), interest
        )

    refusals = _solve_after(monkeypatch, db.engine, register)
    found = sortition.compute_lottery(db.session, rnd)
    assert refusals == ["The panel's lottery is being computed, so registration has just closed."]
    db.session.expire_all()
    record = sortition.record_of(found)
    assert record is not None
    listed = {v.pseudonym for v in sortition.volunteers_of(db.session, rnd)}
    assert listed == set(record["probabilities"])


def test_quotas_cannot_change_during_the_solve(db, world, monkeypatch):
    rnd = _ready(db, world)
    round_id = rnd.id

    def change_quotas(other: Session) -> None:
        sortition.set_quotas(other, other.get(Round, round_id), small_quotas(3))

    refusals = _solve_after(monkeypatch, db.engine, change_quotas)
    sortition.compute_lottery(db.session, rnd)
    assert refusals and "being computed" in refusals[0]
    maxima = {(q.feature, q.value): q.max_count for q in sortition.quotas_of(db.session, rnd)}
    assert maxima[("gender", "woman")] == 4


def test_the_pool_reopens_when_the_solver_fails(db, world, monkeypatch):
    rnd = _ready(db, world)
    _solve_after(monkeypatch, db.engine, lambda other: None, then_fail=True)
    with pytest.raises(InvalidInput):
        sortition.compute_lottery(db.session, rnd)
    db.session.expire_all()
    found = sortition.settings_of(db.session, rnd)
    assert found is not None and found.lottery_started_at is None and not found.pool_closed
    assert sortition.registration_open(db.session, rnd)


def test_the_pages_say_the_lottery_is_being_computed_until_it_is_abandoned(app, db, world):
    rnd = _ready(db, world)
    found = sortition.settings_of(db.session, rnd)
    found.lottery_started_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    facilitator = login(app.test_client(), world.users["facilitator"])
    page = facilitator.get(f"/rounds/{rnd.id}/panel/sortition").get_data(as_text=True)
    assert 'id="lottery-running"' in page and "compute the lottery</button>" not in page
    assert not sortition.registration_open(db.session, rnd)
    # A computation whose worker was killed never stores its lottery: the pool opens again.
    found.lottery_started_at = dt.datetime.now(dt.UTC) - LOTTERY_ABANDONED
    db.session.commit()
    assert sortition.registration_open(db.session, rnd)
    assert sortition.compute_lottery(db.session, rnd).pool_closed

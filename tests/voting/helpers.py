"""Factories for voting tests: a round in the voting phase with projects, areas and voters."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select

from decide.models import (
    AccessCode,
    Area,
    Ballot,
    ChainState,
    Participation,
    PostcodeArea,
    Project,
    Round,
    SealedBallot,
    User,
    VoterRollEntry,
)
from tests.helpers.sessions import VERIFIED_AT

TODAY = dt.date(2027, 5, 10)
# The area each test district stands for: make_user lists its voter's postcode in the
# postcode -> area table, as the facilitator's upload would.
_AREA_OF_DISTRICT: dict[str, int] = {}
_n = itertools.count(1)

KIND_SETTINGS: dict[str, dict[str, Any]] = {
    "approval": {"min_choices": 1, "max_choices": 3},
    "knapsack": {"min_choices": 1},
    "cumulative": {"min_choices": 1, "points_total": 10, "max_points_per_project": 5},
    "ranked": {"min_choices": 1, "rank_depth": 3},
}
COSTS = [400_000, 300_000, 250_000, 150_000, 100_000]  # pence; budget 1,000,000


def make_area(session: Any, district: str = "LS7") -> Area:
    """Add an area with one postcode district."""
    n = next(_n)
    area = Area(name=f"Ward {n}", slug=f"ward-{n}", population=9000, deprivation_decile=2)
    session.add(area)
    session.flush()
    _AREA_OF_DISTRICT[district] = area.id
    return area


def make_round(
    session: Any, kind: str = "approval", *, phase: str = "voting", area: Area | None = None
) -> Round:
    """Add a round of this ballot kind with five projects, in the given phase; commit."""
    n = next(_n)
    rnd = Round(
        title=f"Round {n}",
        slug=f"round-{n}",
        budget_pence=1_000_000,
        phase=phase,
        ballot_kind=kind,
        **KIND_SETTINGS[kind],
    )
    if area is not None:
        rnd.areas = [area]
    rnd.projects = [
        Project(
            code=f"P{i + 1}",
            position=i,
            title=f"Project {i + 1}",
            summary="Helps people.",
            cost_pence=cost,
            area=area,
        )
        for i, cost in enumerate(COSTS)
    ]
    session.add(rnd)
    session.commit()
    return rnd


def make_user(session: Any, postcode: str | None = "LS7 3AB", **extra: Any) -> User:
    """Add a citizen with a postcode; commit."""
    n = next(_n)
    user = User(
        email=f"voter{n}@example.org",
        display_name=f"Voter {n}",
        postcode=postcode,
        password_hash="x",
        **{"email_verified_at": VERIFIED_AT, **extra},
    )
    session.add(user)
    list_postcode(session, postcode)
    session.commit()
    return user


def list_postcode(session: Any, postcode: str | None) -> None:
    """Add the postcode to the global table, in the area made for its district (if any)."""
    if not postcode:
        return
    area_id = _AREA_OF_DISTRICT.get(postcode.split()[0])
    if area_id is None or session.get(Area, area_id) is None:
        return
    listed = session.scalar(
        select(PostcodeArea.id).where(
            PostcodeArea.round_id.is_(None), PostcodeArea.postcode == postcode
        )
    )
    if listed is None:
        session.add(PostcodeArea(postcode=postcode, area_id=area_id))


@contextmanager
def before_voting(session: Any, rnd: Round) -> Iterator[None]:
    """Take the round back before voting for set-up (who may vote locks), then reopen voting."""
    rnd.phase = "deliberation"
    session.commit()
    yield
    rnd.phase = "voting"
    session.commit()


def paper_numbers(session: Any, round_id: int, count: int) -> list[str]:
    """Issue `count` paper ballot numbers for the round (as a facilitator would); commit."""
    from decide.services.register_setup import issue_paper_numbers

    batch = issue_paper_numbers(session, round_id, count, label="Test papers", today=TODAY)
    return [n.number for n in batch.numbers]


def row_counts(session: Any) -> dict[str, int]:
    """Return the row counts of every voting table."""
    out = {}
    for model in (Ballot, SealedBallot, Participation, ChainState, VoterRollEntry, AccessCode):
        out[model.__tablename__] = session.scalar(select(func.count()).select_from(model))
    return out


def close_and_open(session: Any, rnd: Any, key: Any) -> Any:
    """Close voting on a round and open its sealed box (as the closing job does)."""
    from decide.services.closing import close_board

    rnd.phase = "closed"
    session.commit()
    return close_board(session, rnd, server_key=key)

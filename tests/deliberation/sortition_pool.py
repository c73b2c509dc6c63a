"""A small sortition pool for tests: volunteers registered through the service."""

from __future__ import annotations

from sqlalchemy.orm import Session

from decide import sortition as pure
from decide.models import Round, Volunteer
from decide.services import sortition
from tests.web.world import World, make_user

GENDER_CYCLE = ("woman", "man", "woman", "man", "other")
TYPE_CYCLE = ("resident", "resident", "community-asset", "statutory-service", "researcher")


def fill_pool(db: Session, world: World, rnd: Round, n: int = 10) -> list[Volunteer]:
    """Register `n` volunteers with varied features in the round's pool."""
    people = []
    for i in range(n):
        user = make_user(db, f"vol{i}-{rnd.id}@test.example", f"Volunteer {i}")
        db.commit()
        interest = sortition.Interest(
            consent=True,
            area_id=world.areas[i % 2].id,
            age_band=("16-24", "25-44", "45-64", "65+")[i % 4],
            gender=GENDER_CYCLE[i % 5],
            partner_type=TYPE_CYCLE[i % 5],
            extra={},
        )
        people.append(sortition.register_interest(db, rnd, user, interest))
    return people


def small_quotas(size: int = 4) -> list[pure.Quota]:
    """Return quotas for a panel of `size`: a woman and a man at least, two residents at most."""
    return [
        pure.Quota("gender", "woman", 1, size),
        pure.Quota("gender", "man", 1, size),
        pure.Quota("partner_type", "resident", 0, 2),
    ]

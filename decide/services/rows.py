"""Reading the rows a round owns (tables with the `RoundScoped` columns)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models.base import RoundScoped

R = TypeVar("R", bound=RoundScoped)


def of_round(session: Session, model: type[R], round_id: int, *order_by: Any) -> list[R]:
    """Return the round's rows of `model`, in the order given."""
    return list(
        session.scalars(select(model).where(model.round_id == round_id).order_by(*order_by))
    )

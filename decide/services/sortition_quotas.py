"""The features and values a sortition quota may name: a quota on a value no volunteer can have
(a misspelt "Old Market" for the area "old-market") would limit nobody, so it is refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide import sortition
from decide.models import AGE_BANDS, GENDERS, PARTNER_TYPES, Area


def feature_values(
    session: Session, extra_features: Sequence[Mapping[str, Any]]
) -> dict[str, tuple[str, ...]]:
    """Return every feature a quota may name, with the values a volunteer can give for it."""
    areas = session.scalars(select(Area).order_by(Area.slug)).all()
    values: dict[str, tuple[str, ...]] = {
        "area": tuple(a.slug for a in areas),
        "deprivation_decile": tuple(str(d) for d in range(1, 11)),
        "age_band": AGE_BANDS,
        "gender": tuple(GENDERS),
        "partner_type": tuple(PARTNER_TYPES),
    }
    for feature in extra_features:
        # "not asked": the value of those who registered before the question was added.
        values[str(feature["name"])] = (*map(str, feature["values"]), "not asked")
    return values


def unknown_quota(q: sortition.Quota, known: Mapping[str, tuple[str, ...]]) -> str | None:
    """Say why a quota names no possible volunteer (a misspelt feature or value), or None."""
    if q.feature not in known:
        names = ", ".join(sorted(known))
        return f"There is no feature “{q.feature}”: the features are {names}"
    if q.value not in known[q.feature]:
        options = ", ".join(known[q.feature])
        return f"“{q.value}” is not a value of {q.feature}: its values are {options}"
    return None

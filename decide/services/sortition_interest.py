"""What a volunteer declares when registering interest in a round's panel, and its checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from decide.models import AGE_BANDS, GENDERS, PARTNER_TYPES, Area, Round
from decide.services.errors import InvalidInput

# What is published, truthfully: the record lists every volunteer's answers under a random id;
# the names of those drawn and their seats are public, so a drawn member's answers can be
# linked to their name (the record shows which ids were drawn).
CONSENT_TEXT = (
    "I agree that my answers are used to draw the panel by lot and are published in the "
    "sortition record under a random id, not my name. If I am drawn, my name and my seat on "
    "the panel are public, so anyone can link my answers in the record to my name."
)


@dataclass(frozen=True)
class Interest:
    """What a volunteer declares when registering interest."""

    consent: bool
    area_id: int | None
    age_band: str
    gender: str
    partner_type: str
    extra: Mapping[str, str]


def _extra_problems(
    extra_features: Sequence[Mapping[str, Any]], extra: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for feature in extra_features:
        name = feature["name"]
        answer = extra.get(name, "")
        if answer not in feature["values"]:
            problems[f"extra_{name}"] = f"Choose an answer for “{feature['label']}”"
        else:
            values[name] = answer
    return values, problems


def checked_interest(
    session: Session,
    rnd: Round,
    interest: Interest,
    extra_features: Sequence[Mapping[str, Any]],
) -> tuple[Area, dict[str, str]]:
    """Return the volunteer's area and extra answers, or raise InvalidInput naming each field."""
    problems: dict[str, str] = {}
    if not interest.consent:
        problems["consent"] = "Tick the box to give your consent, or you cannot be drawn"
    area = session.get(Area, interest.area_id) if interest.area_id else None
    if area is None or (rnd.areas and area not in rnd.areas):
        problems["area_id"] = "Choose the area you live or work in"
    if interest.age_band not in AGE_BANDS:
        problems["age_band"] = "Choose your age band"
    if interest.gender not in GENDERS:
        problems["gender"] = "Choose your gender"
    if interest.partner_type not in PARTNER_TYPES:
        problems["partner_type"] = "Choose whom you would sit for"
    extra, extra_problems = _extra_problems(extra_features, interest.extra)
    problems.update(extra_problems)
    if problems or area is None:
        raise InvalidInput(problems)
    return area, extra


__all__ = ["CONSENT_TEXT", "Interest", "checked_interest"]

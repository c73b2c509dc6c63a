"""The published sortition record in words a resident reads: features and their values by
their labels, and chances as "about 1 in 30 (3.3%)". RECORD.json keeps the exact figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import GENDERS, PARTNER_TYPES, Area

FEATURE_NAMES = {
    "area": "Area",
    "deprivation_decile": "Deprivation decile of the area (1 is the most deprived tenth)",
    "age_band": "Age band",
    "gender": "Gender",
    "partner_type": "Sits as",
}


@dataclass(frozen=True)
class Chance:
    """One person's chance of a seat, in words and exactly."""

    words: str  # "about 1 in 30 (3.3%)"
    panels: int  # how many of the lottery's panels include the person
    of: int  # how many panels the lottery has


def chance_words(chance: Fraction) -> str:
    """Say a chance like "about 1 in 30 (3.3%)"; "certain" or "none" at the ends."""
    if chance <= 0:
        return "no chance (0%)"
    if chance >= 1:
        return "certain (100%)"
    one_in = round(1 / chance)
    per_cent = round(chance * 1000) / 10
    if one_in <= 2 and Fraction(1, one_in) != chance:
        return f"about {per_cent:g}%"
    exact = "" if Fraction(1, one_in) == chance else "about "
    return f"{exact}1 in {one_in} ({per_cent:g}%)"


def chances(record: Mapping[str, Any]) -> dict[str, Chance]:
    """Return each pseudonym's chance in the lottery: the share of its panels that include them."""
    panels: Sequence[Sequence[str]] = record.get("panels") or []
    counts: dict[str, int] = {p["id"]: 0 for p in record.get("pool", [])}
    for panel in panels:
        for pid in panel:
            counts[pid] = counts.get(pid, 0) + 1
    m = len(panels) or 1
    return {pid: Chance(chance_words(Fraction(n, m)), n, m) for pid, n in counts.items()}


def lottery_min_chance(record: Mapping[str, Any]) -> str:
    """Say the smallest chance of a seat in the lottery itself, as the chances table counts it."""
    found = chances(record)
    if not found:
        return ""
    least = min(found.values(), key=lambda c: Fraction(c.panels, c.of))
    return f"{least.words}: in {least.panels} of {least.of} panels"


def quota_feature_names(record: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """Return, in the record's order, the names of the questions that have quotas."""
    seen: dict[str, None] = {}
    for quota in record.get("quotas") or []:
        seen.setdefault(str(quota["feature"]), None)
    return [names.get(f, f) for f in seen]


def value_labels(
    session: Session, extra_features: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, str]]:
    """Return, by feature, the label a resident reads for each value the record stores."""
    areas = session.scalars(select(Area)).all()
    labels: dict[str, dict[str, str]] = {
        "area": {a.slug: a.name for a in areas},
        "gender": dict(GENDERS),
        "partner_type": dict(PARTNER_TYPES),
    }
    for feature in extra_features:
        labels.setdefault(str(feature["name"]), {})["not asked"] = "not asked"
    return labels


def feature_names(extra_features: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Return the name a resident reads for each feature, the extra questions included."""
    names = dict(FEATURE_NAMES)
    names.update({str(f["name"]): str(f["label"]) for f in extra_features})
    return names


__all__ = [
    "Chance",
    "chance_words",
    "chances",
    "feature_names",
    "lottery_min_chance",
    "quota_feature_names",
    "value_labels",
]

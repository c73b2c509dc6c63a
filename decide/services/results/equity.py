"""The equity rule's settings: stored rows, the settings form, and the rule's parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from decide.allocation import EquityParams, fraction_text, params_from_json, params_to_json
from decide.models import EquitySettings, Round
from decide.services.errors import InvalidInput
from decide.services.results.election import (
    PUBLIC_PHASES,
    Election,
    ResultsError,
    round_to_election,
)


@dataclass(frozen=True)
class EquitySpec:
    """Equity settings as values: shares are fractions of 1, caps are pence.

    Organisations and themes are keyed by name, as in `Election`.
    """

    floor_share: Fraction = Fraction(0)
    decile_weights: Mapping[int, Fraction] = field(default_factory=dict)
    organisation_cap: int | None = None
    organisation_caps: Mapping[str, int] = field(default_factory=dict)
    theme_min_share: Mapping[str, Fraction] = field(default_factory=dict)
    theme_max_share: Mapping[str, Fraction] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Return True when no constraint beyond the budget is set."""
        return (
            self.floor_share == 0
            and self.organisation_cap is None
            and not self.organisation_caps
            and not self.theme_min_share
            and not self.theme_max_share
        )


DEFAULT_DECILE_WEIGHTS: Mapping[int, Fraction] = {1: Fraction(3), 2: Fraction(2)}


def _exact(text: str) -> Fraction:
    return Fraction(str(text))


def _text(x: Fraction) -> str:
    return fraction_text(Fraction(x))


def equity_spec(session: Session, election: Election) -> EquitySpec:
    """Return the round's saved equity settings (an empty spec when none are saved)."""
    row = session.get(EquitySettings, election.round_id)
    if row is None:
        return EquitySpec(decile_weights=dict(DEFAULT_DECILE_WEIGHTS))
    orgs = {str(v): k for k, v in election.organisation_ids.items()}
    themes = {str(v): k for k, v in election.theme_ids.items()}
    return EquitySpec(
        floor_share=_exact(row.floor_share_percent) / 100,
        decile_weights={int(k): _exact(v) for k, v in (row.decile_weights or {}).items()},
        organisation_cap=row.organisation_cap_pence,
        organisation_caps={
            orgs[k]: int(v) for k, v in (row.organisation_caps or {}).items() if k in orgs
        },
        theme_min_share={
            themes[k]: _exact(v) / 100
            for k, v in (row.theme_min_percent or {}).items()
            if k in themes
        },
        theme_max_share={
            themes[k]: _exact(v) / 100
            for k, v in (row.theme_max_percent or {}).items()
            if k in themes
        },
    )


def _percent(raw: str, name: str, errors: dict[str, str], what: str) -> Fraction | None:
    text = raw.strip().rstrip("%").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,3}(\.\d{1,4})?", text):
        errors[name] = f"{what}: enter a percentage from 0 to 100, like 30 or 12.5."
        return None
    value = Fraction(text)
    if value > 100:
        errors[name] = f"{what}: a percentage cannot be more than 100."
        return None
    return value


def _pence(raw: str, name: str, errors: dict[str, str], what: str) -> int | None:
    text = raw.strip().replace("£", "", 1).replace(",", "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", text):
        errors[name] = f"{what}: enter an amount in pounds, like 20000 or 12500.50."
        return None
    pence = Fraction(text) * 100
    if pence <= 0:
        errors[name] = f"{what}: the amount must be more than £0."
        return None
    return int(pence)


def _weights(form: Mapping[str, str], errors: dict[str, str]) -> dict[int, Fraction]:
    """Read the deciles' weights (fields ``weight_1`` .. ``weight_10``); zero means none."""
    weights: dict[int, Fraction] = {}
    for decile in range(1, 11):
        name = f"weight_{decile}"
        text = form.get(name, "").strip()
        if not text:
            continue
        if not re.fullmatch(r"\d{1,4}(\.\d{1,4})?", text):
            errors[name] = (
                f"Weight for decile {decile}: enter a number of 0 or more, like 2 or 1.5."
            )
            continue
        value = Fraction(text)
        if value:
            weights[decile] = value
    return weights


def _theme_shares(
    form: Mapping[str, str], election: Election, errors: dict[str, str]
) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """Read each theme's minimum and maximum share of the money spent (fractions of 1)."""
    mins: dict[str, Fraction] = {}
    maxs: dict[str, Fraction] = {}
    for theme, theme_id in election.theme_ids.items():
        lo = _percent(
            form.get(f"theme_min_{theme_id}", ""),
            f"theme_min_{theme_id}",
            errors,
            f"Minimum share for {theme}",
        )
        hi = _percent(
            form.get(f"theme_max_{theme_id}", ""),
            f"theme_max_{theme_id}",
            errors,
            f"Maximum share for {theme}",
        )
        if lo is not None and hi is not None and lo > hi:
            errors[f"theme_min_{theme_id}"] = (
                f"Minimum share for {theme}: the minimum ({_text(lo)}%) is above the maximum "
                f"({_text(hi)}%)."
            )
        if lo:
            mins[theme] = lo / 100
        if hi is not None:
            maxs[theme] = hi / 100
    return mins, maxs


def parse_equity_form(form: Mapping[str, str], election: Election) -> EquitySpec:
    """Read the equity settings form; raise InvalidInput naming each bad field.

    Fields: ``floor_share`` (percent of the budget), ``weight_1`` .. ``weight_10``,
    ``org_cap`` (pounds), ``cap_<organisation id>`` (pounds), ``theme_min_<theme id>`` and
    ``theme_max_<theme id>`` (percent of the money spent).
    """
    errors: dict[str, str] = {}
    floor = _percent(form.get("floor_share", ""), "floor_share", errors, "Floor")
    weights = _weights(form, errors)
    if floor and not weights and "floor_share" not in errors:
        errors["floor_share"] = (
            "A floor needs a weight above 0 for at least one decile, to say which areas it "
            "protects."
        )
    if floor and weights and "floor_share" not in errors:
        covered = [a for a in election.areas if weights.get(a.decile, 0) > 0]
        if not covered:
            errors["floor_share"] = (
                "No area of this round has a decile with a weight above 0, so the floor would "
                "protect nobody."
            )
    org_cap = _pence(form.get("org_cap", ""), "org_cap", errors, "Cap for every organisation")
    caps: dict[str, int] = {}
    for name_, org_id in election.organisation_ids.items():
        key = f"cap_{org_id}"
        value = _pence(form.get(key, ""), key, errors, f"Cap for {name_}")
        if value is not None:
            caps[name_] = value
    mins, maxs = _theme_shares(form, election, errors)
    if errors:
        raise InvalidInput(errors)
    return EquitySpec(
        floor_share=(floor or Fraction(0)) / 100,
        decile_weights=weights,
        organisation_cap=org_cap,
        organisation_caps=caps,
        theme_min_share=mins,
        theme_max_share=maxs,
    )


def equity_form_values(spec: EquitySpec, election: Election) -> dict[str, str]:
    """Return the form's field values for these settings (pounds and percentages as typed)."""
    values: dict[str, str] = {"floor_share": _text(spec.floor_share * 100)}
    for decile in range(1, 11):
        w = spec.decile_weights.get(decile)
        values[f"weight_{decile}"] = _text(w) if w else ""
    values["org_cap"] = _pounds_plain(spec.organisation_cap)
    for name_, org_id in election.organisation_ids.items():
        values[f"cap_{org_id}"] = _pounds_plain(spec.organisation_caps.get(name_))
    for theme, theme_id in election.theme_ids.items():
        lo, hi = spec.theme_min_share.get(theme), spec.theme_max_share.get(theme)
        values[f"theme_min_{theme_id}"] = _text(lo * 100) if lo else ""
        values[f"theme_max_{theme_id}"] = _text(hi * 100) if hi is not None else ""
    return values


def _pounds_plain(pence: int | None) -> str:
    if pence is None:
        return ""
    pounds, rem = divmod(pence, 100)
    return f"{pounds}" if rem == 0 else f"{pounds}.{rem:02d}"


def save_equity_settings(session: Session, round_id: int, spec: EquitySpec) -> EquitySettings:
    """Store the round's equity settings and commit; refused once results are published."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ResultsError(f"There is no round {round_id}.")
    if rnd.phase in PUBLIC_PHASES:
        raise ResultsError("The results are published; the equity settings can no longer change.")
    election = round_to_election(session, round_id)
    row = session.get(EquitySettings, round_id)
    if row is None:
        row = EquitySettings(round_id=round_id)
        session.add(row)
    row.floor_share_percent = _text(spec.floor_share * 100)
    row.decile_weights = {str(k): _text(v) for k, v in sorted(spec.decile_weights.items())}
    row.organisation_cap_pence = spec.organisation_cap
    row.organisation_caps = {
        str(election.organisation_ids[k]): int(v)
        for k, v in spec.organisation_caps.items()
        if k in election.organisation_ids
    }
    row.theme_min_percent = {
        str(election.theme_ids[k]): _text(v * 100)
        for k, v in spec.theme_min_share.items()
        if k in election.theme_ids
    }
    row.theme_max_percent = {
        str(election.theme_ids[k]): _text(v * 100)
        for k, v in spec.theme_max_share.items()
        if k in election.theme_ids
    }
    session.commit()
    return row


def equity_params_to_json(params: EquityParams) -> dict[str, Any]:
    """Return equity parameters as JSON values (see decide.allocation.params_to_json)."""
    return params_to_json(params)


def equity_params_from_json(data: Mapping[str, Any]) -> EquityParams:
    """Return equity parameters from their JSON form (see decide.allocation.params_from_json)."""
    return params_from_json(data)

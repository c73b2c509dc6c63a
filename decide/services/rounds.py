"""Rounds: settings, panel, areas and themes (phase changes: decide.services.phases)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots.rules import choose_sentence
from ballots.wording import money as format_money
from ballots.wording import plural
from decide.models import (
    ALLOCATION_RULES,
    BALLOT_KINDS,
    Area,
    PanelMember,
    Round,
    RoundLocked,
    SortitionSettings,
    Theme,
    User,
)
from decide.models.limits import INT32_MAX
from decide.models.round import LOCKED_AT_VOTING
from decide.services.accounts import find_user_by_email
from decide.services.errors import DomainError, InvalidInput, NotFound
from decide.services.slugs import unique_slug
from decide.services.unit_of_work import transactional

MAX_PENCE = 2_000_000_000  # fits a 32-bit integer column: about £20 million
MAX_COUNT = INT32_MAX  # the largest whole number an INTEGER column holds (32 bits in PostgreSQL)
TIMETABLE_FIELDS = (
    "proposals_open",
    "proposals_close",
    "deliberation_close",
    "voting_open",
    "voting_close",
    "results_date",
)
TIMETABLE_LABELS = {
    "proposals_open": "Proposals open",
    "proposals_close": "Proposals close",
    "deliberation_close": "Deliberation ends",
    "voting_open": "Voting opens",
    "voting_close": "Voting closes",
    "results_date": "Results published",
}
FIELD_LABELS = {
    "budget_pence": "budget",
    "ballot_kind": "ballot kind",
    "min_choices": "minimum number of projects",
    "max_choices": "maximum number of projects",
    "min_budget_share_percent": "minimum share of the budget",
    "points_total": "number of points",
    "max_points_per_project": "maximum points per project",
    "rank_depth": "number of ranks",
    "allocation_rule": "allocation rule",
    "signature_threshold": "number of signatures",
    "threshold_reason": "reason one signature is enough",
}
# Whole-number settings with the words for them; each must fit its INTEGER column.
COUNT_LABELS = {
    "min_choices": "minimum number of projects",
    "max_choices": "maximum number of projects",
    "min_budget_share_percent": "minimum share of the budget",
    "points_total": "number of points",
    "max_points_per_project": "maximum points per project",
    "rank_depth": "number of projects a voter may rank",
    "signature_threshold": "number of signatures",
}
# Settings whose column always has a value: left empty (None), they take the value that
# means "not set" (no minimum, no minimum share, the two signatures a round needs unless it
# states why one is enough).
NOT_SET = {"min_choices": 0, "min_budget_share_percent": 0, "signature_threshold": 2}


@dataclass(frozen=True)
class RoundSettings:
    """Everything a facilitator sets on a round, as plain values.

    An optional setting may be given as None ("not set"); see NOT_SET for those whose column
    needs a value, and `description` (None is empty).
    """

    title: str
    budget_pence: int
    description: str = ""
    area_ids: tuple[int, ...] = ()
    theme_ids: tuple[int, ...] = ()
    ballot_kind: str = "approval"
    min_choices: int = 1
    max_choices: int | None = None
    min_budget_share_percent: int = 0
    points_total: int | None = None
    max_points_per_project: int | None = None
    rank_depth: int | None = None
    allocation_rule: str = "equal-shares"
    signature_threshold: int = 2
    threshold_reason: str = ""
    proposals_open: dt.date | None = None
    proposals_close: dt.date | None = None
    deliberation_close: dt.date | None = None
    voting_open: dt.date | None = None
    voting_close: dt.date | None = None
    results_date: dt.date | None = None

    def __post_init__(self) -> None:
        for name, value in NOT_SET.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        for name in ("description", "threshold_reason"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, "")

    @classmethod
    def of(cls, rnd: Round) -> RoundSettings:
        """Return the current settings of a round."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "area_ids":
                values[f.name] = tuple(a.id for a in rnd.areas)
            elif f.name == "theme_ids":
                values[f.name] = tuple(t.id for t in rnd.themes)
            else:
                values[f.name] = getattr(rnd, f.name)
        return cls(**values)


def _general_problems(s: RoundSettings, errors: dict[str, str]) -> None:
    """Add problems with the title, budget, ballot kind and rule."""
    if not s.title.strip():
        errors["title"] = "Enter a title for the round"
    elif len(s.title) > 200:
        errors["title"] = "The title must be 200 characters or fewer"
    if s.budget_pence <= 0:
        errors["budget_pence"] = "The budget must be more than £0"
    elif s.budget_pence > MAX_PENCE:
        errors["budget_pence"] = "The budget must be £20,000,000 or less"
    if s.ballot_kind not in BALLOT_KINDS:
        errors["ballot_kind"] = "Choose a ballot kind"
    if s.allocation_rule not in ALLOCATION_RULES:
        errors["allocation_rule"] = "Choose an allocation rule"


def _ballot_problems(s: RoundSettings, errors: dict[str, str]) -> None:
    """Add problems with the ballot's limits (choices, share, points, ranks)."""
    if s.min_choices < 0:
        errors["min_choices"] = "The minimum number of projects cannot be negative"
    if s.max_choices is not None and s.max_choices < max(1, s.min_choices):
        errors["max_choices"] = (
            "The maximum number of projects must be at least 1 and at least the minimum"
        )
    if not 0 <= s.min_budget_share_percent <= 100:
        errors["min_budget_share_percent"] = "Enter a share between 0 and 100"
    if s.ballot_kind == "cumulative":
        if not s.points_total or s.points_total < 1:
            errors["points_total"] = "Points ballots need the number of points each voter has"
        elif s.max_points_per_project is not None and not (
            1 <= s.max_points_per_project <= s.points_total
        ):
            errors["max_points_per_project"] = (
                "The maximum per project must be between 1 and the number of points"
            )
    if s.ballot_kind == "ranked" and (not s.rank_depth or s.rank_depth < 1):
        errors["rank_depth"] = "Ranked ballots need the number of projects a voter may rank"


def _timetable_problems(s: RoundSettings, errors: dict[str, str]) -> None:
    """Add a problem for each date before the one the timetable puts before it."""
    previous: tuple[str, dt.date] | None = None
    for name in TIMETABLE_FIELDS:
        value = getattr(s, name)
        if value is None:
            continue
        if previous is not None and value < previous[1]:
            errors[name] = (
                f"{TIMETABLE_LABELS[name]} must be on or after "
                f"{TIMETABLE_LABELS[previous[0]].lower()}"
            )
        previous = (name, value)


def settings_problems(s: RoundSettings) -> dict[str, str]:
    """Return a message per field whose value cannot work, in form order."""
    errors: dict[str, str] = {}
    _general_problems(s, errors)
    _ballot_problems(s, errors)
    if s.signature_threshold < 1:
        errors["signature_threshold"] = "At least one signature is needed to publish results"
    if len(s.threshold_reason) > 500:
        errors["threshold_reason"] = "The reason must be 500 characters or fewer"
    for name, words in COUNT_LABELS.items():
        value = getattr(s, name)
        if isinstance(value, int) and value > MAX_COUNT:
            errors[name] = f"The {words} must be {MAX_COUNT:,} or less"
    _timetable_problems(s, errors)
    return errors


def _locked_changes(rnd: Round, s: RoundSettings) -> dict[str, str]:
    if not rnd.ballot_locked:
        return {}
    current = RoundSettings.of(rnd)
    problems = {
        name: f"The {FIELD_LABELS[name]} cannot change after voting opened"
        for name in LOCKED_AT_VOTING
        if getattr(s, name) != getattr(current, name)
    }
    if set(s.area_ids) != {a.id for a in rnd.areas}:
        # Who may vote by postcode depends on the areas: they lock with the ballot.
        problems["area_ids"] = "The areas cannot change after voting opened"
    return problems


def _apply(session: Session, rnd: Round, s: RoundSettings) -> None:
    for f in fields(s):
        if f.name not in ("area_ids", "theme_ids"):
            setattr(rnd, f.name, getattr(s, f.name))
    rnd.title = s.title.strip()
    areas = session.scalars(select(Area).where(Area.id.in_(s.area_ids))).all()
    themes = session.scalars(select(Theme).where(Theme.id.in_(s.theme_ids))).all()
    if len(areas) != len(set(s.area_ids)):
        raise InvalidInput({"area_ids": "Choose areas from the list"})
    if len(themes) != len(set(s.theme_ids)):
        raise InvalidInput({"theme_ids": "Choose themes from the list"})
    rnd.areas = sorted(areas, key=lambda a: a.name)
    rnd.themes = sorted(themes, key=lambda t: t.name)


def create_round(session: Session, settings: RoundSettings, actor: User) -> Round:
    """Create a round in draft and return it."""
    problems = settings_problems(settings)
    if problems:
        raise InvalidInput(problems)
    rnd = Round(
        title=settings.title.strip(),
        slug=unique_slug(session, Round, settings.title),
        budget_pence=settings.budget_pence,
        phase="draft",
    )
    session.add(rnd)
    _apply(session, rnd, settings)
    session.commit()
    return rnd


def update_round(session: Session, rnd: Round, settings: RoundSettings, actor: User) -> Round:
    """Change a round's settings; ballot-meaning settings are refused once voting opened."""
    problems = _locked_changes(rnd, settings) or settings_problems(settings)
    if problems:
        raise InvalidInput(problems)
    try:
        _apply(session, rnd, settings)
        session.commit()
    except RoundLocked as exc:  # the model's own guard, in case a change slipped past the form
        session.rollback()
        raise DomainError(str(exc)) from None
    return rnd


PANEL_LOCKED = (
    "The panel is fixed when voting opens, like the signatures it needs: it cannot change now."
)


def _panel_open(rnd: Round) -> None:
    # The panel signs the results. Were it open after voting, a facilitator could seat herself
    # and an account she controls once the count is known, and publish alone (outside review
    # of issue 13). Fixed with the threshold, it is known before anyone votes.
    if rnd.panel_fixed:
        raise DomainError(PANEL_LOCKED, field="email")


DRAWN_BY_LOT = (
    "This panel was drawn by lot: its seats change only through a recorded replacement "
    "on the sortition page, never by hand."
)


def _not_drawn(session: Session, rnd: Round) -> None:
    # Once the panel is drawn, the sortition record says who sits on it; a seat given or
    # taken by hand would make the published record untrue.
    drawn = session.scalar(
        select(SortitionSettings.id).where(
            SortitionSettings.round_id == rnd.id, SortitionSettings.drawn_at.is_not(None)
        )
    )
    if drawn is not None:
        raise DomainError(DRAWN_BY_LOT, field="email")


def add_panel_member(
    session: Session, rnd: Round, email: str, role_title: str = "Panel member"
) -> PanelMember:
    """Put the account with this email on the round's panel (only before voting opens)."""
    _panel_open(rnd)
    _not_drawn(session, rnd)
    user = find_user_by_email(session, email)
    if user is None:
        raise NotFound("There is no account with this email address", field="email")
    if rnd.has_panel_member(user.id):
        raise DomainError(f"{user.display_name} is already on the panel", field="email")
    member = PanelMember(round=rnd, user=user, role_title=role_title.strip() or "Panel member")
    session.add(member)
    session.commit()
    return member


def remove_panel_member(session: Session, rnd: Round, panel_member_id: int) -> None:
    """Take a member off the round's panel (only before voting opens)."""
    _panel_open(rnd)
    _not_drawn(session, rnd)
    member = session.get(PanelMember, panel_member_id)
    if member is None or member.round_id != rnd.id:
        raise NotFound("That person is not on this panel")
    session.delete(member)
    session.commit()


def ballot_summary(rnd: Round) -> list[str]:
    """Describe the round's ballot rules in plain words, one sentence each."""
    money = format_money(rnd.budget_pence, rnd.currency)
    lines: list[str] = []
    if rnd.ballot_kind in ("approval", "knapsack"):
        on_ballot = sum(1 for p in rnd.projects if not p.withdrawn) or None
        lines.append(choose_sentence("Choose", rnd.min_choices or 0, rnd.max_choices, on_ballot))
        if rnd.ballot_kind == "knapsack":
            lines.append(f"The projects you choose must fit within the budget of {money}.")
            if rnd.min_budget_share_percent:
                lines.append(
                    f"Your choices must use at least {rnd.min_budget_share_percent}% of it."
                )
    elif rnd.ballot_kind == "cumulative":
        cap = (
            f", at most {rnd.max_points_per_project} on any one project"
            if rnd.max_points_per_project
            else ""
        )
        lines.append(f"Spread {plural(rnd.points_total or 0, 'point')} over the projects{cap}.")
    elif rnd.ballot_kind == "ranked":
        lines.append(f"Put up to {plural(rnd.rank_depth or 0, 'project')} in order of preference.")
    rule = ALLOCATION_RULES.get(rnd.allocation_rule, rnd.allocation_rule)
    lines.append(f"The {money} budget is shared out by the rule: {rule}.")
    return lines


# --- Areas and themes ---------------------------------------------------------------------
def area_problems(
    session: Session,
    name: str,
    population: int | None,
    decile: int | None,
    *,
    exclude_id: int | None = None,
) -> dict[str, str]:
    """Return a message per area field that cannot be saved."""
    errors: dict[str, str] = {}
    clash = session.scalar(select(Area.id).where(func.lower(Area.name) == name.strip().lower()))
    if not name.strip():
        errors["name"] = "Enter the area's name"
    elif clash is not None and clash != exclude_id:
        errors["name"] = "There is already an area with this name"
    if population is None or population < 0:
        errors["population"] = "Enter the population as a whole number, 0 or more"
    elif population > MAX_COUNT:
        errors["population"] = f"Enter the population as a whole number up to {MAX_COUNT:,}"
    if decile is None or not 1 <= decile <= 10:
        errors["deprivation_decile"] = "Enter a decile from 1 (most deprived) to 10"
    return errors


@transactional
def save_area(
    session: Session,
    name: str,
    population: int | None,
    decile: int | None,
    area: Area | None = None,
) -> Area:
    """Create an area, or update `area`, with its population and deprivation decile."""
    problems = area_problems(
        session, name, population, decile, exclude_id=area.id if area else None
    )
    if problems:
        raise InvalidInput(problems)
    if area is None:
        area = Area(
            slug=unique_slug(session, Area, name), name="", population=0, deprivation_decile=1
        )
        session.add(area)
    area.name = name.strip()
    area.population = population
    area.deprivation_decile = decile
    return area


def add_theme(session: Session, name: str) -> Theme:
    """Create a theme proposals can address."""
    name = name.strip()
    if not name:
        raise InvalidInput({"name": "Enter the theme's name"})
    if session.scalar(select(Theme.id).where(func.lower(Theme.name) == name.lower())):
        raise InvalidInput({"name": "There is already a theme with this name"})
    theme = Theme(name=name, slug=unique_slug(session, Theme, name))
    session.add(theme)
    session.commit()
    return theme

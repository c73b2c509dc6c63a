"""Rounds: settings, panel, and phase changes through one guarded function."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots.rules import choose_sentence
from ballots.wording import money as format_money
from ballots.wording import plural
from decide.models import (
    ALLOCATION_RULES,
    BALLOT_KINDS,
    PHASE_LABELS,
    PHASES,
    Area,
    PanelMember,
    Proposal,
    Round,
    RoundLocked,
    Theme,
    User,
)
from decide.models.limits import INT32_MAX
from decide.models.round import LOCKED_AT_VOTING
from decide.services import register_setup
from decide.services.accounts import find_user_by_email
from decide.services.errors import DomainError, InvalidInput, NotFound
from decide.services.slugs import unique_slug

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


class PhaseChangeRefused(DomainError):
    """A phase change whose guard failed, or that is not a permitted step."""


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


def settings_problems(s: RoundSettings) -> dict[str, str]:
    """Return a message per field whose value cannot work, in form order."""
    errors: dict[str, str] = {}
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
    if s.signature_threshold < 1:
        errors["signature_threshold"] = "At least one signature is needed to publish results"
    if len(s.threshold_reason) > 500:
        errors["threshold_reason"] = "The reason must be 500 characters or fewer"
    for name, words in COUNT_LABELS.items():
        value = getattr(s, name)
        if isinstance(value, int) and value > MAX_COUNT:
            errors[name] = f"The {words} must be {MAX_COUNT:,} or less"
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


def add_panel_member(
    session: Session, rnd: Round, email: str, role_title: str = "Panel member"
) -> PanelMember:
    """Put the account with this email on the round's panel (only before voting opens)."""
    _panel_open(rnd)
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
    member = session.get(PanelMember, panel_member_id)
    if member is None or member.round_id != rnd.id:
        raise NotFound("That person is not on this panel")
    session.delete(member)
    session.commit()


# --- Phase changes ------------------------------------------------------------------------
# A guard returns None when the change may go ahead, else a message saying what is missing:
# a plain string, or a PhaseBlocker that also names the place where it can be fixed.
# An effect runs inside the same transaction after the phase is set (it may raise
# DomainError to stop the change). Entries are callables or "module:function" strings, so
# other parts of the app add their own without import cycles: for example closing a round
# adds "decide.services.results:compute_on_close" to the effects of ("voting", "closed").
# Places where a blocked phase change can be fixed; the web layer turns each into a link.
FIX_PLACES = ("settings", "panel", "proposals", "review", "results", "publication", "eligibility")


@dataclass(frozen=True)
class PhaseBlocker:
    """Why a phase change cannot happen yet, and the place (one of FIX_PLACES) to fix it."""

    message: str
    fix: str | None = None

    def __str__(self) -> str:
        return self.message


Guard = Callable[[Session, Round], "str | PhaseBlocker | None"]
Effect = Callable[[Session, Round, User], None]


def _needs_area(session: Session, rnd: Round) -> PhaseBlocker | None:
    return None if rnd.areas else PhaseBlocker("Proposals need at least one area.", "settings")


def _needs_proposal(session: Session, rnd: Round) -> PhaseBlocker | None:
    count = session.scalar(
        select(func.count(Proposal.id)).where(
            Proposal.round_id == rnd.id, Proposal.withdrawn.is_(False)
        )
    )
    return None if count else PhaseBlocker("Deliberation needs at least one proposal.", "proposals")


def _needs_project(session: Session, rnd: Round) -> PhaseBlocker | None:
    live = [p for p in rnd.projects if not p.withdrawn]
    return None if live else PhaseBlocker("Voting needs at least one accepted project.", "review")


def _needs_payees(session: Session, rnd: Round) -> PhaseBlocker | None:
    # The manifest names each project's organisation and the ledger pays only that one, so a
    # project without one could never be paid once the results are signed.
    unpaid = [p for p in rnd.projects if not p.withdrawn and p.organisation_id is None]
    if not unpaid:
        return None
    names = ", ".join(f"{p.code} “{p.title}”" for p in unpaid)
    return PhaseBlocker(
        f"Voting needs a payee for every project on the ballot; {names} "
        f"{'has' if len(unpaid) == 1 else 'have'} none.",
        "review",
    )


def _ballot_rules_complete(session: Session, rnd: Round) -> PhaseBlocker | None:
    problems = settings_problems(RoundSettings.of(rnd))
    if problems:
        message = "Voting needs complete ballot rules: " + next(iter(problems.values())) + "."
        return PhaseBlocker(message, "settings")
    return None


def _self_declared_confirmed(session: Session, rnd: Round) -> PhaseBlocker | None:
    problem = register_setup.self_declared_problem(session, rnd)
    return PhaseBlocker(problem, "eligibility") if problem else None


def _roll_uploaded_if_ticked(session: Session, rnd: Round) -> PhaseBlocker | None:
    # Whether a round has a roll is fixed when voting opens (a roll added later would let
    # people who voted by account or code vote again as their roll entry).
    problem = register_setup.empty_roll_problem(session, rnd)
    return PhaseBlocker(problem, "eligibility") if problem else None


def _needs_panel(session: Session, rnd: Round) -> PhaseBlocker | None:
    # Publishing needs a panel member's signature (never facilitators alone), so a round
    # without a panel could collect votes whose results can never be published.
    if rnd.panel:
        return None
    return PhaseBlocker(
        f"Voting needs a panel to sign the results: add at least one panel member "
        f"(the results need {plural(rnd.signature_threshold, 'signature')}).",
        "panel",
    )


def _threshold_explained(session: Session, rnd: Round) -> PhaseBlocker | None:
    # The threshold locks when voting opens, and a lone signer must be a stated choice: the
    # reason is printed on the results (issue 13). A draft may leave it for later.
    if rnd.signature_threshold == 1 and not (rnd.threshold_reason or "").strip():
        return PhaseBlocker(
            "Voting needs a reason why one panel signature is enough to publish, "
            "or a threshold of 2 or more.",
            "settings",
        )
    return None


def _stamp_voting_opened(session: Session, rnd: Round, actor: User) -> None:
    rnd.voting_opened_at = dt.datetime.now(dt.UTC)
    # The timetable shows the real day voting opened, not "to be announced".
    if rnd.voting_open is None or rnd.voting_open > rnd.voting_opened_at.date():
        rnd.voting_open = rnd.voting_opened_at.date()


@dataclass
class Transition:
    """The guards and effects of one permitted phase change."""

    guards: list[Guard | str] = field(default_factory=list)
    effects: list[Effect | str] = field(default_factory=list)


TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("draft", "proposals"): Transition(guards=[_needs_area]),
    ("proposals", "draft"): Transition(),
    ("proposals", "deliberation"): Transition(guards=[_needs_proposal]),
    ("deliberation", "proposals"): Transition(),
    ("deliberation", "voting"): Transition(
        guards=[
            _needs_project,
            _needs_payees,
            _ballot_rules_complete,
            _needs_panel,
            _threshold_explained,
            _roll_uploaded_if_ticked,
            _self_declared_confirmed,
        ],
        effects=[_stamp_voting_opened],
    ),
    ("voting", "closed"): Transition(effects=["decide.services.closing:on_close"]),
    ("closed", "published"): Transition(
        guards=["decide.services.publication:publish_blocker"],
        effects=["decide.services.publication:on_publish"],
    ),
    ("published", "delivery"): Transition(),
}


def _resolve(hook: Any) -> Any:
    if isinstance(hook, str):
        module, _, name = hook.partition(":")
        return getattr(importlib.import_module(module), name)
    return hook


def next_phases(rnd: Round) -> list[str]:
    """Return the phases this round may move to, forwards first."""
    options = [to for (frm, to) in TRANSITIONS if frm == rnd.phase]
    return sorted(options, key=lambda p: (PHASES.index(p) < PHASES.index(rnd.phase), p))


def phase_blockers(session: Session, rnd: Round, to_phase: str) -> list[PhaseBlocker]:
    """Return what stops the round moving to `to_phase` now (empty when it can)."""
    transition = TRANSITIONS.get((rnd.phase, to_phase))
    if transition is None:
        label = PHASE_LABELS.get(to_phase, to_phase)
        return [PhaseBlocker(f"A round in “{rnd.phase_label}” cannot move to “{label}”.")]
    found = [_resolve(g)(session, rnd) for g in transition.guards]
    return [b if isinstance(b, PhaseBlocker) else PhaseBlocker(str(b)) for b in found if b]


def phase_problems(session: Session, rnd: Round, to_phase: str) -> list[str]:
    """Return why the round cannot move to `to_phase` now (empty when it can)."""
    return [b.message for b in phase_blockers(session, rnd, to_phase)]


@dataclass(frozen=True)
class PhaseOption:
    """A phase the round may move to next, and what stands in the way now."""

    to_phase: str
    label: str
    forward: bool
    blockers: tuple[PhaseBlocker, ...]

    @property
    def allowed(self) -> bool:
        """Return True when the change may go ahead now."""
        return not self.blockers


def phase_options(session: Session, rnd: Round) -> list[PhaseOption]:
    """Return each phase the round may move to, forwards first, with its blockers."""
    here = PHASES.index(rnd.phase)
    return [
        PhaseOption(
            to_phase=p,
            label=PHASE_LABELS.get(p, p),
            forward=PHASES.index(p) > here,
            blockers=tuple(phase_blockers(session, rnd, p)),
        )
        for p in next_phases(rnd)
    ]


def change_phase(session: Session, rnd: Round, to_phase: str, actor: User) -> Round:
    """Move the round to `to_phase` when its guards pass, run the effects, and commit."""
    problems = phase_problems(session, rnd, to_phase)
    if problems:
        raise PhaseChangeRefused(" ".join(problems))
    transition = TRANSITIONS[(rnd.phase, to_phase)]
    try:
        rnd.phase = to_phase
        for effect in transition.effects:
            _resolve(effect)(session, rnd, actor)
        session.commit()
    except (DomainError, RoundLocked) as exc:
        session.rollback()
        raise PhaseChangeRefused(str(exc)) from None
    except Exception:
        session.rollback()
        raise
    return rnd


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
    session.commit()
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

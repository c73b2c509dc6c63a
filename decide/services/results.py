"""Results: from a closed round's rows to allocation outcomes, the confirmed rule, and words.

`round_to_election(session, round_id)` is the ONE place where database rows become the pure
values the allocation rules take: the `Instance` (project codes, costs in pence as Fractions),
the `Profile` (every ballot on the board, in sequence order, trackers as voter ids) and the
equity data (areas with population and deprivation decile; each project's area, organisation
and themes). Publication calls it too, so the manifest and the results page cannot drift apart.

Phases: after voting closes the facilitator compares every rule (`compare_rules`), may set the
equity settings (`save_equity_settings`), and confirms the rule fixed when voting opened, or
another with a recorded reason (`confirm_rule`). The confirmed outcome is stored as a
`RoundResult`; publication reads it with `confirmed_result` and publishes exactly that. The
results page is public once the round is published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.model import Ballot as CoreBallot
from ballots.model import Instance, Profile
from ballots.wording import money, plural
from decide.allocation import (
    RULES,
    BallotUsage,
    EquityParams,
    GreedyStep,
    MesRound,
    Outcome,
    PhragmenRound,
    TieBreak,
    ballot_usage,
    fraction_text,
    options_from_json,
    params_from_json,
    params_to_json,
)
from decide.allocation import Area as AllocationArea
from decide.models import (
    ALLOCATION_RULES,
    ChainState,
    EquitySettings,
    Proposal,
    Round,
    RoundResult,
    User,
)
from decide.services.errors import DomainError, InvalidInput
from decide.services.voting import ballot_projects, board_profile, round_instance

RULE_ORDER = ("greedy", "equal-shares", "phragmen", "utilitarian", "equity")
RESULT_PHASES = ("closed", "published", "delivery")
PUBLIC_PHASES = ("published", "delivery")
REASON_MIN = 20
REASON_MAX = 2000
NO_AREA = "No area"

# Other parts add "module:function" hooks here without import cycles:
# a guard (session, round) -> message or None may stop a (re)confirmation, for example once
# panel signatures exist; an effect (session, round, result) runs in the same transaction after
# the result is written, for example to mark a manifest out of date.
CONFIRM_GUARDS: list[str] = []
CONFIRM_EFFECTS: list[str] = []


class ResultsError(DomainError):
    """A results action the round's state does not allow; the message says why."""


# --- Rows to values -----------------------------------------------------------------------


@dataclass(frozen=True)
class Election:
    """A round as pure values: instance and profile (pence), equity data, and display names.

    Areas are keyed by slug; organisations and themes by their (unique) names, so the equity
    program's explanations read in words.
    """

    round_id: int
    ballot_kind: str
    currency: str
    instance: Instance
    profile: Profile
    areas: tuple[AllocationArea, ...]
    project_area: Mapping[str, str]
    project_organisation: Mapping[str, str]
    project_themes: Mapping[str, tuple[str, ...]]
    titles: Mapping[str, str]
    organisation_ids: Mapping[str, int] = field(default_factory=dict)
    theme_ids: Mapping[str, int] = field(default_factory=dict)

    @property
    def voters(self) -> int:
        """Return the number of ballots."""
        return len(self.profile.ballots)

    def area(self, area_id: str) -> AllocationArea | None:
        """Return the area with this slug, or None."""
        return next((a for a in self.areas if a.id == area_id), None)

    def cost(self, code: str) -> Fraction:
        """Return a project's cost in pence."""
        return self.instance.project(code).cost

    def equity_params(self, spec: EquitySpec) -> EquityParams:
        """Return the equity program's parameters for these settings."""
        return EquityParams(
            areas=self.areas,
            project_area=dict(self.project_area),
            project_organisation=dict(self.project_organisation),
            project_themes=dict(self.project_themes),
            decile_weights=dict(spec.decile_weights),
            floor_share=spec.floor_share,
            organisation_cap=(
                Fraction(spec.organisation_cap) if spec.organisation_cap is not None else None
            ),
            organisation_caps={k: Fraction(v) for k, v in spec.organisation_caps.items()},
            theme_min_share=dict(spec.theme_min_share),
            theme_max_share=dict(spec.theme_max_share),
        )


def round_to_election(session: Session, round_id: int) -> Election:
    """Return the round's projects, ballots and equity data as pure values (money in pence).

    Projects are those on the ballot (not withdrawn), in published order; ballots are every
    ballot on the board in sequence order, with the tracker (hex) as voter id.
    """
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ResultsError(f"There is no round {round_id}.")
    projects = ballot_projects(session, round_id)
    instance = round_instance(rnd, projects)
    profile = board_profile(session, rnd)

    area_rows = list(rnd.areas)
    for p in projects:
        if p.area is not None and p.area not in area_rows:
            area_rows.append(p.area)
    areas = tuple(
        AllocationArea(a.slug, a.name, a.population, a.deprivation_decile)
        for a in sorted(area_rows, key=lambda a: (a.deprivation_decile, a.name))
    )
    proposal_ids = [p.proposal_id for p in projects if p.proposal_id is not None]
    proposals = (
        {pr.id: pr for pr in session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)))}
        if proposal_ids
        else {}
    )
    project_area = {p.code: p.area.slug for p in projects if p.area is not None}
    project_org = {p.code: p.organisation.name for p in projects if p.organisation is not None}
    org_ids = {p.organisation.name: p.organisation.id for p in projects if p.organisation}
    project_themes: dict[str, tuple[str, ...]] = {}
    theme_ids: dict[str, int] = {}
    for p in projects:
        proposal = proposals.get(p.proposal_id) if p.proposal_id else None
        if proposal is not None and proposal.themes:
            project_themes[p.code] = tuple(t.name for t in proposal.themes)
            theme_ids.update({t.name: t.id for t in proposal.themes})
    return Election(
        round_id=rnd.id,
        ballot_kind=rnd.ballot_kind,
        currency=rnd.currency,
        instance=instance,
        profile=profile,
        areas=areas,
        project_area=project_area,
        project_organisation=project_org,
        project_themes=project_themes,
        titles={p.code: p.title for p in projects},
        organisation_ids=org_ids,
        theme_ids=theme_ids,
    )


# --- Equity settings ----------------------------------------------------------------------


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


def parse_equity_form(form: Mapping[str, str], election: Election) -> EquitySpec:
    """Read the equity settings form; raise InvalidInput naming each bad field.

    Fields: ``floor_share`` (percent of the budget), ``weight_1`` .. ``weight_10``,
    ``org_cap`` (pounds), ``cap_<organisation id>`` (pounds), ``theme_min_<theme id>`` and
    ``theme_max_<theme id>`` (percent of the money spent).
    """
    errors: dict[str, str] = {}
    floor = _percent(form.get("floor_share", ""), "floor_share", errors, "Floor")
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
    mins: dict[str, Fraction] = {}
    maxs: dict[str, Fraction] = {}
    for theme, theme_id in election.theme_ids.items():
        lo = _percent(form.get(f"theme_min_{theme_id}", ""), f"theme_min_{theme_id}", errors,
                      f"Minimum share for {theme}")  # fmt: skip
        hi = _percent(form.get(f"theme_max_{theme_id}", ""), f"theme_max_{theme_id}", errors,
                      f"Maximum share for {theme}")  # fmt: skip
        if lo is not None and hi is not None and lo > hi:
            errors[f"theme_min_{theme_id}"] = (
                f"Minimum share for {theme}: the minimum ({_text(lo)}%) is above the maximum "
                f"({_text(hi)}%)."
            )
        if lo:
            mins[theme] = lo / 100
        if hi is not None:
            maxs[theme] = hi / 100
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


# --- Running the rules --------------------------------------------------------------------


def rule_parameters(rule: str, election: Election, spec: EquitySpec | None) -> dict[str, Any]:
    """Return the rule's parameters as JSON values (empty for every rule but equity)."""
    if rule != "equity":
        return {}
    return {"params": equity_params_to_json(election.equity_params(spec or EquitySpec()))}


def rule_options(rule: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Return the keyword options to call the rule with, from its JSON parameters."""
    return options_from_json(rule, parameters)


def run_rule(
    election: Election,
    rule: str,
    *,
    parameters: Mapping[str, Any] | None = None,
    tie_break: TieBreak | None = None,
) -> Outcome:
    """Run one allocation rule on the election with JSON parameters."""
    if rule not in RULES:
        raise ResultsError(f"Unknown allocation rule {rule!r}.")
    options = rule_options(rule, parameters or {})
    return RULES[rule](
        election.instance, election.profile, tie_break=tie_break or TieBreak(), **options
    )


@dataclass(frozen=True)
class Bar:
    """One bar of a funds chart: label, amount in pence, and its share of the largest bar."""

    label: str
    pence: int
    detail: str = ""


@dataclass(frozen=True)
class RuleSummary:
    """What one rule gives on a round, for the compare page and the results page."""

    rule: str
    label: str
    outcome: Outcome
    funded: tuple[str, ...]
    spent: int
    leftover: int
    voters_with_funded: int
    voters: int
    by_area: tuple[Bar, ...]
    by_decile: tuple[Bar, ...]
    feasible: bool = True
    problem: str = ""

    @property
    def share_percent(self) -> str:
        """Return the share of voters with at least one funded project, as a percentage."""
        if not self.voters:
            return "0%"
        return f"{round(Fraction(self.voters_with_funded * 100, self.voters))}%"


def _pence_int(x: Fraction) -> int:
    return round(Fraction(x))


def summarise(election: Election, outcome: Outcome) -> RuleSummary:
    """Return the funded projects, reach, funds per area and decile, and leftover."""
    selected = set(outcome.selected)
    reached = sum(1 for b in election.profile.ballots if selected & b.approved)
    area_totals: dict[str, Fraction] = {a.id: Fraction(0) for a in election.areas}
    no_area = Fraction(0)
    for code in outcome.selected:
        amount = Fraction(outcome.amounts[code])
        area_id = election.project_area.get(code)
        if area_id in area_totals:
            area_totals[area_id] += amount
        else:
            no_area += amount
    by_area = [
        Bar(a.name, _pence_int(area_totals[a.id]), f"decile {a.decile}") for a in election.areas
    ]
    if no_area:
        by_area.append(Bar(NO_AREA, _pence_int(no_area), ""))
    deciles: dict[int, Fraction] = {}
    for a in election.areas:
        deciles[a.decile] = deciles.get(a.decile, Fraction(0)) + area_totals[a.id]
    by_decile = [
        Bar(
            f"Decile {d}",
            _pence_int(v),
            ", ".join(a.name for a in election.areas if a.decile == d),
        )
        for d, v in sorted(deciles.items())
    ]
    feasible = outcome.program is None or outcome.program.status != "infeasible"
    problem = "" if feasible else money_in_text(" ".join(outcome.notes), election.currency)
    return RuleSummary(
        rule=outcome.rule,
        label=ALLOCATION_RULES.get(outcome.rule, outcome.rule),
        outcome=outcome,
        funded=tuple(outcome.selected),
        spent=_pence_int(outcome.spent),
        leftover=_pence_int(outcome.leftover),
        voters_with_funded=reached,
        voters=election.voters,
        by_area=tuple(by_area),
        by_decile=tuple(by_decile),
        feasible=feasible,
        problem=problem,
    )


# England's deprivation deciles 1 to 5: the more deprived half of its neighbourhoods.
MORE_DEPRIVED_DECILES = 5


@dataclass(frozen=True)
class RuleGlance:
    """One rule's row in the compare page's combined chart: where its money goes, in pence."""

    rule: str
    spent: int
    more_deprived: int
    elsewhere: int
    leftover: int
    funded: int
    share_percent: str


def glance(election: Election, summary: RuleSummary) -> RuleGlance:
    """Split a rule's spending between areas in deciles 1-5 and the rest."""
    decile = {a.id: a.decile for a in election.areas}
    deprived = sum(
        (
            Fraction(summary.outcome.amounts[code])
            for code in summary.funded
            if decile.get(election.project_area.get(code, ""), 99) <= MORE_DEPRIVED_DECILES
        ),
        Fraction(0),
    )
    more_deprived = _pence_int(deprived)
    return RuleGlance(
        rule=summary.rule,
        spent=summary.spent,
        more_deprived=more_deprived,
        elsewhere=summary.spent - more_deprived,
        leftover=summary.leftover,
        funded=len(summary.funded),
        share_percent=summary.share_percent,
    )


def compare_rules(
    election: Election, spec: EquitySpec, *, tie_break: TieBreak | None = None
) -> list[RuleSummary]:
    """Run every rule on the election (equity with these settings) and summarise each."""
    out = []
    for rule in RULE_ORDER:
        outcome = run_rule(
            election, rule, parameters=rule_parameters(rule, election, spec), tie_break=tie_break
        )
        out.append(summarise(election, outcome))
    return out


# --- Confirming the rule ------------------------------------------------------------------


def _resolve(hook: str) -> Any:
    module, _, name = hook.partition(":")
    return getattr(importlib.import_module(module), name)


def outcome_digest(outcome_json: Mapping[str, Any]) -> str:
    """Return the SHA-256 of the outcome JSON in canonical form (sorted keys, no spaces)."""
    text = json.dumps(outcome_json, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def confirm_rule(
    session: Session,
    round_id: int,
    *,
    rule: str,
    reason: str,
    actor: User,
    tie_break: TieBreak | None = None,
    now: dt.datetime | None = None,
) -> RoundResult:
    """Confirm the round's allocation rule (or change it with a reason); store the outcome.

    Raise InvalidInput (field "reason" or "rule") or ResultsError; nothing is written then.
    """
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ResultsError(f"There is no round {round_id}.")
    if rnd.phase != "closed":
        raise ResultsError(
            "The rule can be confirmed only while the round is closed and not yet published "
            f"(it is at: {rnd.phase_label})."
        )
    reason = (reason or "").strip()
    if rule not in RULES:
        raise InvalidInput({"rule": "Choose one of the allocation rules."})
    if rule != rnd.allocation_rule:
        if not reason:
            raise InvalidInput(
                {
                    "reason": (
                        f"You chose {ALLOCATION_RULES.get(rule, rule)} instead of the rule fixed "
                        f"when voting opened ({ALLOCATION_RULES.get(rnd.allocation_rule)}). "
                        "Give the reason for the change; it is shown publicly with the results."
                    )
                }
            )
        if len(reason) < REASON_MIN:
            raise InvalidInput(
                {"reason": f"Give a reason of at least {REASON_MIN} characters, in full words."}
            )
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": f"Keep the reason under {REASON_MAX} characters."})
    for hook in CONFIRM_GUARDS:
        message = _resolve(hook)(session, rnd)
        if message:
            raise ResultsError(message)
    election = round_to_election(session, round_id)
    spec = equity_spec(session, election)
    parameters = rule_parameters(rule, election, spec)
    tb = tie_break or TieBreak()
    outcome = run_rule(election, rule, parameters=parameters, tie_break=tb)
    if outcome.program is not None and outcome.program.status == "infeasible":
        raise InvalidInput({"rule": money_in_text(" ".join(outcome.notes), election.currency)})
    data = outcome.to_json_dict()
    row = session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
    if row is None:
        row = RoundResult(round_id=round_id)
        session.add(row)
    row.original_rule = rnd.allocation_rule
    row.rule = rule
    row.change_reason = reason if rule != rnd.allocation_rule else ""
    row.parameters = parameters
    row.tie_break_kind = tb.kind
    row.tie_break_seed = tb.seed
    row.selected = list(outcome.selected)
    row.amounts = {k: v for k, v in data["amounts"].items()}
    row.outcome = data
    row.outcome_sha256 = outcome_digest(data)
    row.ballot_count = election.voters
    row.confirmed_by_id = actor.id
    row.confirmed_at = now or dt.datetime.now(dt.UTC)
    try:
        session.flush()
        for hook in CONFIRM_EFFECTS:
            _resolve(hook)(session, rnd, row)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return row


def confirmed_result(session: Session, round_id: int) -> RoundResult | None:
    """Return the round's confirmed result (what publication publishes), or None."""
    return session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))


def result_tie_break(result: RoundResult) -> TieBreak:
    """Return the confirmed result's tie-break."""
    return TieBreak(kind=result.tie_break_kind, seed=result.tie_break_seed)  # type: ignore[arg-type]


# Recomputed confirmed outcomes, so the public results page does not re-run a rule (seconds on
# a large round) for every visitor. Keyed by the result's identity and digest (a re-confirmed
# result has a new digest) and the board's chain head (which fixes every ballot on it).
_RECOMPUTED: dict[tuple[int, int, str, bytes], tuple[Election, Outcome]] = {}
_RECOMPUTED_MAX = 16


def recompute_result(session: Session, result: RoundResult) -> tuple[Election, Outcome]:
    """Re-run the confirmed rule on the board; raise ResultsError if it no longer matches."""
    head = session.scalar(select(ChainState.head).where(ChainState.round_id == result.round_id))
    key = (result.id, result.round_id, result.outcome_sha256, bytes(head or b""))
    cached = _RECOMPUTED.get(key)
    if cached is not None:
        return cached
    election = round_to_election(session, result.round_id)
    outcome = run_rule(
        election, result.rule, parameters=result.parameters, tie_break=result_tie_break(result)
    )
    if outcome_digest(outcome.to_json_dict()) != result.outcome_sha256:
        raise ResultsError(
            "Recomputing the confirmed rule on the board gives a different outcome; the "
            "stored result is out of date. Confirm the rule again."
        )
    if len(_RECOMPUTED) >= _RECOMPUTED_MAX:
        _RECOMPUTED.pop(next(iter(_RECOMPUTED)), None)
    _RECOMPUTED[key] = (election, outcome)
    return election, outcome


def results_visible(rnd: Round, *, privileged: bool) -> bool:
    """Return whether the results page shows the outcome (public once published)."""
    if rnd.phase in PUBLIC_PHASES:
        return True
    return privileged and rnd.phase in RESULT_PHASES


# --- Words --------------------------------------------------------------------------------

_MONEY_RE = re.compile(r"(budget of|at least|at most) (-?\d+(?:\.\d+)?(?:/\d+)?)(?![\d%/]|\.\d)")


def money_in_text(text: str, currency: str = "GBP") -> str:
    """Rewrite the engine's amounts in pence ('at least 2500000') as pounds ('£25,000.00')."""
    return _MONEY_RE.sub(lambda m: f"{m.group(1)} {money(Fraction(m.group(2)), currency)}", text)


def _supporters(election: Election) -> dict[str, int]:
    counts = dict.fromkeys(election.instance.project_ids, 0)
    for b in election.profile.ballots:
        for code in b.approved:
            if code in counts:
                counts[code] += 1
    return counts


def _points(election: Election) -> dict[str, int]:
    totals = dict.fromkeys(election.instance.project_ids, 0)
    for b in election.profile.ballots:
        for code, pts in b.points_by_project.items():
            if code in totals:
                totals[code] += pts
    return totals


@dataclass(frozen=True)
class Explanation:
    """The outcome in plain words: an opening paragraph, numbered steps, closing notes."""

    intro: tuple[str, ...]
    steps: tuple[str, ...]
    notes: tuple[str, ...]


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")  # fmt: skip


def _nth(i: int) -> str:
    return _ORDINALS[i] if i < len(_ORDINALS) else f"number {i + 1}"


def _people(n: int, one: str = "supporter", many: str = "supporters") -> str:
    return plural(n, one, many)


def explain(election: Election, outcome: Outcome) -> Explanation:
    """Explain the outcome in plain words, step by step, from its recorded steps."""
    c = election.currency
    title = election.titles
    n = election.voters
    supporters = _supporters(election)
    intro: list[str] = []
    steps: list[str] = []
    notes: list[str] = []
    greedy_steps = [s for s in outcome.steps if isinstance(s, GreedyStep)]
    cardinal = election.profile.vote_type in ("cumulative", "scoring")
    if outcome.rule == "equal-shares":
        per_voter = Fraction(str(outcome.details.get("mes_budget_per_voter", "0")))
        base = election.instance.budget / n if n else Fraction(0)
        voters, each = ("the one voter", "they") if n == 1 else (f"the {n:,} voters", "each")
        intro.append(
            f"The budget of {money(election.instance.budget, c)} was shared equally between "
            f"{voters}: {each} had {money(base, c)} to spend on the projects they supported."
        )
        if per_voter > base:
            intro.append(
                f"So that the money would be used as fully as possible, each voter's share was "
                f"raised step by step to {money(per_voter, c)} "
                "before counting; this never lets the funded projects cost more than the budget."
            )
        for i, r in enumerate(s for s in outcome.steps if isinstance(s, MesRound)):
            payers = sum(p.voters for p in r.payments)
            groups = sorted(r.payments, key=lambda p: (-p.voters, p.amount))
            if len(groups) == 1:
                paid = (
                    f"its one supporter paid {money(groups[0].amount, c)}"
                    if payers == 1
                    else f"its {_people(payers)} paid {money(groups[0].amount, c)} each"
                )
            else:
                parts = [
                    f"{_people(p.voters, 'voter', 'voters')} paid {money(p.amount, c)}"
                    for p in groups[:4]
                ]
                more = len(groups) - 4
                tail = f" and {plural(more, 'more group')} paid other amounts" if more > 0 else ""
                paid = (
                    f"its {_people(payers)} shared the cost: "
                    + "; ".join(parts)
                    + tail
                    + " (those with less left paid all they had)"
                )
            steps.append(
                f"\u2018{title.get(r.project, r.project)}\u2019 ({money(r.cost, c)}) was funded "
                f"{_nth(i)}: {paid}."
            )
        completion = [s for s in greedy_steps if s.phase == "completion"]
        if completion:
            funded = [s for s in completion if s.funded]
            if funded:
                steps.append(
                    "Some money was left that no group of supporters could use together, so it "
                    "went to the most supported projects that still fitted: "
                    + ", ".join(f"\u2018{title.get(s.project, s.project)}\u2019" for s in funded)
                    + "."
                )
    elif outcome.rule == "greedy":
        if cardinal:
            intro.append(
                "Projects were taken in order of their points per pound of cost; each was funded "
                "if it still fitted in the money left, otherwise skipped."
            )
        else:
            intro.append(
                "Projects were taken in order of their number of supporters; each was funded if "
                "it still fitted in the money left, otherwise skipped."
            )
        points = _points(election) if cardinal else {}
        for s in greedy_steps:
            name = f"\u2018{title.get(s.project, s.project)}\u2019"
            votes = (
                plural(points.get(s.project, 0), "point")
                if cardinal
                else _people(supporters.get(s.project, 0))
            )
            if s.funded:
                steps.append(
                    f"{name} ({votes}, {money(s.cost, c)}) was funded; "
                    f"{money(s.remaining_after, c)} was left."
                )
            else:
                steps.append(
                    f"{name} ({votes}, {money(s.cost, c)}) was skipped: only "
                    f"{money(s.remaining_after, c)} was left."
                )
    elif outcome.rule == "phragmen":
        intro.append(
            "Supporters share the cost of each project they get. At each step the project "
            "funded is the one that keeps the largest amount any one supporter carries as "
            "small as possible."
        )
        for i, r in enumerate(s for s in outcome.steps if isinstance(s, PhragmenRound)):
            load = f"; each supporter now carries {money(r.load, c)}" if r.load is not None else ""
            steps.append(
                f"\u2018{title.get(r.project, r.project)}\u2019 ({money(r.cost, c)}, "
                f"{_people(r.supporters)}) was funded {_nth(i)}{load}."
            )
    elif outcome.rule in ("utilitarian", "equity"):
        program = outcome.program
        if outcome.rule == "utilitarian":
            intro.append(
                "The funded projects are the combination within the budget with the greatest "
                "total support, counting each supporter of a project once for every pound it "
                "costs."
            )
        else:
            intro.append(
                "The funded projects are the combination with the most supporters in total "
                "that also meets the equity settings: a guaranteed floor of money for the "
                "most deprived areas, caps per organisation and shares per theme."
            )
        if program is not None and program.status == "infeasible":
            steps.append(money_in_text(" ".join(outcome.notes), c))
        elif program is not None:
            for con in program.constraints:
                words = money_in_text(con.description, c)
                if con.binding:
                    cost = ""
                    if con.price and outcome.rule == "equity" and con.name != "budget":
                        cost = (
                            f" Without it, {int(con.price):,} more "
                            f"{'supporter' if con.price == 1 else 'supporters'} would have been "
                            "served."
                        )
                    steps.append(f"This limit shaped the result: {words}.{cost}")
                elif con.name.startswith("floor:"):
                    steps.append(f"Met with room to spare: {words}.")
        for code in outcome.selected:
            steps.append(
                f"Funded: \u2018{title.get(code, code)}\u2019 ({money(election.cost(code), c)}, "
                f"{_people(supporters.get(code, 0))})."
            )
    if election.profile.vote_type == "ordinal":
        notes.append(
            "This round used ranked ballots. The allocation rules treat a ranked ballot as "
            "support for every project it ranks, whatever its place."
        )
    notes.append(f"Ties between projects: {outcome.tie_break.describe()}.")
    notes.append(
        f"{money(outcome.spent, c)} of {money(outcome.budget, c)} is allocated; "
        f"{money(outcome.leftover, c)} is left over."
    )
    return Explanation(tuple(intro), tuple(steps), tuple(notes))


# --- How one ballot was used ----------------------------------------------------------------


@dataclass(frozen=True)
class UsageView:
    """How one ballot was used, with the projects' titles."""

    usage: BallotUsage
    ballot: CoreBallot
    funded: tuple[tuple[str, str, int, int], ...]  # (code, title, cost pence, share pence)
    not_funded: tuple[tuple[str, str], ...]
    total: int  # pence, to the nearest penny


def ballot_with_choices(election: Election, kind: str, stated: CoreBallot) -> CoreBallot | None:
    """Return a counted ballot with the same canonical bytes as the stated one, or None.

    Ballots with the same choices are used the same way by every rule, so any one of them
    says how the voter's was used; no tracker or voter is needed, and none could be.
    """
    from ballots.canonical import canonical_ballot_bytes

    want = canonical_ballot_bytes(kind, stated)
    return next(
        (b for b in election.profile.ballots if canonical_ballot_bytes(kind, b) == want), None
    )


def usage_for_choices(session: Session, round_id: int, stated: CoreBallot) -> UsageView | None:
    """Say how a ballot with these choices was used by the confirmed outcome (None if none was).

    Raise ResultsError when no outcome is confirmed yet.
    """
    result = confirmed_result(session, round_id)
    if result is None:
        raise ResultsError("The results of this round are not confirmed yet.")
    election, outcome = recompute_result(session, result)
    rnd = session.get(Round, round_id)
    ballot = ballot_with_choices(election, rnd.ballot_kind if rnd else "approval", stated)
    if ballot is None:
        return None
    usage = ballot_usage(outcome, election.instance, ballot)
    funded = tuple(
        (s.project, election.titles.get(s.project, s.project), _pence_int(s.cost),
         _pence_int(s.share))
        for s in usage.supported_funded
    )  # fmt: skip
    not_funded = tuple(
        (code, election.titles.get(code, code)) for code in usage.supported_not_funded
    )
    return UsageView(usage, ballot, funded, not_funded, _pence_int(usage.total))


def funded_rows(election: Election, outcome: Outcome) -> list[dict[str, Any]]:
    """Return one row per project: title, area, organisation, supporters, cost, funded."""
    supporters = _supporters(election)
    names = {a.id: a.name for a in election.areas}
    rows = []
    for p in election.instance.projects:
        rows.append(
            {
                "code": p.id,
                "title": p.name or p.id,
                "area": names.get(election.project_area.get(p.id, ""), ""),
                "organisation": election.project_organisation.get(p.id, ""),
                "supporters": supporters.get(p.id, 0),
                "cost": _pence_int(p.cost),
                "funded": p.id in outcome.amounts,
                "amount": _pence_int(outcome.amounts.get(p.id, Fraction(0))),
            }
        )
    order = {code: i for i, code in enumerate(outcome.selected)}
    rows.sort(key=lambda r: (not r["funded"], order.get(r["code"], 0), -r["supporters"]))
    return rows


__all__ = [
    "CONFIRM_EFFECTS",
    "CONFIRM_GUARDS",
    "Election",
    "EquitySpec",
    "ResultsError",
    "RuleSummary",
    "compare_rules",
    "confirm_rule",
    "confirmed_result",
    "equity_params_from_json",
    "equity_params_to_json",
    "equity_spec",
    "explain",
    "recompute_result",
    "round_to_election",
    "rule_options",
    "run_rule",
    "save_equity_settings",
    "summarise",
    "usage_for_choices",
]

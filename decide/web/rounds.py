"""Rounds: public pages, and the facilitator's settings, panel and phase changes."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import PHASE_LABELS, PHASES, Area, Phase, Round, Theme
from decide.services import permissions as can
from decide.services import phases
from decide.services import rounds as service
from decide.services.errors import DomainError
from decide.web.access import require, viewable_round
from decide.web.forms import (
    ActionForm,
    AreaForm,
    PanelMemberForm,
    PhaseForm,
    RoundForm,
    ThemeForm,
    options,
    run_action,
    show_domain_error,
    submit_form,
)

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


def _round_form(rnd: Round | None) -> RoundForm:
    data = asdict(service.RoundSettings.of(rnd)) if rnd is not None else None
    if data is not None and data["min_budget_share_percent"] == 0:
        data["min_budget_share_percent"] = None  # "no minimum" shows as the empty field it was
    form = RoundForm(data=data)
    areas = db.session.scalars(select(Area).order_by(Area.name))
    themes = db.session.scalars(select(Theme).order_by(Theme.name))
    form.area_ids.choices = options([(a.id, a.name) for a in areas])
    form.theme_ids.choices = options([(t.id, t.name) for t in themes])
    return form


def _settings(form: RoundForm) -> service.RoundSettings:
    values: dict[str, Any] = {}
    for f in fields(service.RoundSettings):
        value = form[f.name].data
        if f.name in ("area_ids", "theme_ids"):
            value = tuple(value or ())
        elif f.name == "description":
            value = value or ""
        values[f.name] = value
    return service.RoundSettings(**values)


@bp.get("/")
def index() -> str:
    """List rounds; facilitators also see drafts."""
    query = select(Round).order_by(Round.id.desc())
    if not can.can_manage_rounds(current_user):
        query = query.where(Round.phase != Phase.DRAFT)
    return render_template("rounds/index.html", rounds=db.session.scalars(query).all())


@bp.get("/<int:round_id>")
def show(round_id: int) -> str:
    """Show a round: timetable, budget, areas, themes and ballot rules."""
    rnd = viewable_round(round_id)
    manages = can.can_manage_rounds(current_user)
    return render_template(
        "rounds/show.html", round=rnd, phase_form=PhaseForm(),
        phase_options=phases.phase_options(db.session, rnd) if manages else [],
        fix_links=_fix_links(rnd) if manages else {},
        phases=PHASES, phase_labels=PHASE_LABELS, timetable=service.TIMETABLE_LABELS,
    )  # fmt: skip


# Where each place named by a blocked phase change (phase_rules.FIX_PLACES) is fixed.
FIX_LINKS = {
    "settings": ("rounds.edit", "Edit the round settings"),
    "panel": ("rounds.panel", "Add panel members"),
    "proposals": ("proposals.index", "See the proposals"),
    "review": ("review.round_review", "Review proposals"),
    "results": ("results.compare", "Compare the rules and confirm one"),
    "publication": ("publication.overview", "Open the verifiable record"),
    "eligibility": ("eligibility.settings", "Decide who can vote"),
}


def _fix_links(rnd: Round) -> dict[str, tuple[str, str]]:
    """Return place -> (address, link text) for the round's blocked phase changes."""
    return {
        place: (url_for(endpoint, round_id=rnd.id), text)
        for place, (endpoint, text) in FIX_LINKS.items()
    }


@bp.route("/new", methods=["GET", "POST"])
def create() -> str | Response:
    """Create a round in draft."""
    require(can.can_manage_rounds(current_user))
    form = _round_form(None)
    if form.validate_on_submit():
        try:
            rnd = service.create_round(db.session, _settings(form), current_user)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Round “{rnd.title}” created as a draft.", "success")
            return redirect(url_for("rounds.show", round_id=rnd.id))
    return render_template("rounds/form.html", form=form, round=None)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
def edit(round_id: int) -> str | Response:
    """Edit a round's settings; ballot settings lock when voting opens."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = _round_form(rnd)
    if form.validate_on_submit():
        try:
            service.update_round(db.session, rnd, _settings(form), current_user)
        except DomainError as error:
            db.session.refresh(rnd)
            show_domain_error(form, error)
        else:
            flash("Round settings saved.", "success")
            return redirect(url_for("rounds.show", round_id=rnd.id))
    return render_template("rounds/form.html", form=form, round=rnd)


@bp.post("/<int:round_id>/phase")
def change_phase(round_id: int) -> Response:
    """Move the round to another phase when its guards allow."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            phases.change_phase(db.session, rnd, form.to_phase.data, current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"The round is now in the “{rnd.phase_label}” phase.", "success")
    return redirect(url_for("rounds.show", round_id=rnd.id))


@bp.route("/<int:round_id>/panel", methods=["GET", "POST"])
def panel(round_id: int) -> str | Response:
    """Show the round's panel and add members to it."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = PanelMemberForm()
    if submit_form(
        form,
        lambda: service.add_panel_member(db.session, rnd, form.email.data, form.role_title.data),
        lambda member: f"{member.user.display_name} is now on the panel.",
    ):
        return redirect(url_for("rounds.panel", round_id=rnd.id))
    return render_template("rounds/panel.html", round=rnd, form=form, remove_form=ActionForm())


@bp.post("/<int:round_id>/panel/<int:member_id>/remove")
def remove_panel_member(round_id: int, member_id: int) -> Response:
    """Take someone off the round's panel."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    run_action(
        lambda: service.remove_panel_member(db.session, rnd, member_id), "Removed from the panel."
    )
    return redirect(url_for("rounds.panel", round_id=rnd.id))


def _render_places(area_form: AreaForm | None = None, theme_form: ThemeForm | None = None) -> str:
    return render_template(
        "rounds/places.html",
        areas=db.session.scalars(select(Area).order_by(Area.name)).all(),
        themes=db.session.scalars(select(Theme).order_by(Theme.name)).all(),
        area_form=area_form or AreaForm(formdata=None, prefix="area"),
        theme_form=theme_form or ThemeForm(formdata=None, prefix="theme"),
    )


@bp.get("/areas")
def places() -> str:
    """List the areas (with population and deprivation decile) and the themes."""
    require(can.can_manage_rounds(current_user))
    return _render_places()


@bp.post("/areas")
def add_area() -> str | Response:
    """Add an area."""
    require(can.can_manage_rounds(current_user))
    form = AreaForm(prefix="area")
    if submit_form(
        form,
        lambda: service.save_area(
            db.session, form.name.data, form.population.data, form.deprivation_decile.data
        ),
        lambda area: f"Area “{area.name}” added.",
    ):
        return redirect(url_for("rounds.places"))
    return _render_places(area_form=form)


@bp.route("/areas/<int:area_id>/edit", methods=["GET", "POST"])
def edit_area(area_id: int) -> str | Response:
    """Correct an area's name, population or deprivation decile."""
    require(can.can_manage_rounds(current_user))
    area = db.get_or_404(Area, area_id)
    form = AreaForm(obj=area)
    if submit_form(
        form,
        lambda: service.save_area(
            db.session, form.name.data, form.population.data, form.deprivation_decile.data, area
        ),
        lambda saved: f"Area “{saved.name}” saved.",
    ):
        return redirect(url_for("rounds.places"))
    return render_template("rounds/area_form.html", form=form, area=area)


@bp.post("/themes")
def add_theme() -> str | Response:
    """Add a theme."""
    require(can.can_manage_rounds(current_user))
    form = ThemeForm(prefix="theme")
    if submit_form(
        form,
        lambda: service.add_theme(db.session, form.name.data),
        lambda theme: f"Theme “{theme.name}” added.",
    ):
        return redirect(url_for("rounds.places"))
    return _render_places(theme_form=form)

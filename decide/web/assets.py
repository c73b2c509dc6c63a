"""Community assets: the list, profiles, editing and members."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import Area, Organisation
from decide.services import assets as service
from decide.services import permissions as can
from decide.services.errors import DomainError
from decide.services.proposals import proposals_of_organisation
from decide.web.access import require
from decide.web.forms import (
    ActionForm,
    MemberForm,
    OrganisationForm,
    options,
    run_action,
    show_domain_error,
    submit_form,
)

bp = Blueprint("assets", __name__, url_prefix="/organisations")


def _organisation(slug: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        abort(404)
    return org


def _form(org: Organisation | None) -> OrganisationForm:
    form = OrganisationForm(obj=org, data={"area_ids": [a.id for a in org.areas]} if org else None)
    areas = db.session.scalars(select(Area).order_by(Area.name))
    form.area_ids.choices = options([(a.id, a.name) for a in areas])
    return form


def _profile(form: OrganisationForm) -> service.OrganisationProfile:
    return service.OrganisationProfile(
        name=form.name.data or "",
        kind=form.kind.data,
        description=form.description.data or "",
        contact_email=form.contact_email.data,
        contact_phone=form.contact_phone.data,
        website=form.website.data,
        area_ids=tuple(form.area_ids.data or ()),
    )


def _render_profile(org: Organisation, member_form: MemberForm | None = None) -> str:
    context: dict[str, Any] = {
        "org": org,
        "proposals": proposals_of_organisation(db.session, org),
        "can_edit": can.can_edit_organisation(current_user, org),
        "can_manage": can.can_manage_members(current_user, org),
        "member_form": member_form or MemberForm(formdata=None),
        "remove_form": ActionForm(),
    }
    return render_template("assets/show.html", **context)


@bp.get("/")
def index() -> str:
    """List the community assets."""
    return render_template(
        "assets/index.html", organisations=service.list_organisations(db.session)
    )


@bp.route("/new", methods=["GET", "POST"])
def create() -> str | Response:
    """Register a community asset."""
    require(can.can_create_organisation(current_user))
    form = _form(None)
    if form.validate_on_submit():
        try:
            org = service.create_organisation(db.session, _profile(form))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{org.name} has been added. Now add its members.", "success")
            return redirect(url_for("assets.show", slug=org.slug))
    return render_template("assets/form.html", form=form, org=None)


@bp.get("/<slug>")
def show(slug: str) -> str:
    """Show an organisation's profile, members and proposals."""
    return _render_profile(_organisation(slug))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str) -> str | Response:
    """Edit an organisation's profile (its admins and facilitators)."""
    org = _organisation(slug)
    require(can.can_edit_organisation(current_user, org))
    form = _form(org)
    if submit_form(
        form, lambda: service.update_organisation(db.session, org, _profile(form)), "Profile saved."
    ):
        return redirect(url_for("assets.show", slug=org.slug))
    return render_template("assets/form.html", form=form, org=org)


@bp.post("/<slug>/members")
def add_member(slug: str) -> str | Response:
    """Add a member to the organisation."""
    org = _organisation(slug)
    require(can.can_manage_members(current_user, org))
    form = MemberForm()
    if submit_form(
        form,
        lambda: service.add_member(db.session, org, form.email.data, form.role.data),
        lambda membership: f"{membership.user.display_name} is now a member.",
    ):
        return redirect(url_for("assets.show", slug=org.slug))
    return _render_profile(org, form)


@bp.post("/<slug>/members/<int:membership_id>/remove")
def remove_member(slug: str, membership_id: int) -> Response:
    """Remove a member from the organisation."""
    org = _organisation(slug)
    require(can.can_manage_members(current_user, org))
    run_action(lambda: service.remove_member(db.session, org, membership_id), "Member removed.")
    return redirect(url_for("assets.show", slug=org.slug))

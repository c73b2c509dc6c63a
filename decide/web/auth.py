"""Register, log in, log out, and the account page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from decide.extensions import db, limiter
from decide.models import PanelMember
from decide.services import accounts
from decide.services.errors import DomainError
from decide.services.proposals import proposals_of_user
from decide.web import forms
from decide.web.access import safe_next
from decide.web.forms import LoginForm, RegisterForm, add_error, show_domain_error

bp = Blueprint("auth", __name__)


@bp.record_once
def _register_template_helpers(state: BlueprintSetupState) -> None:
    forms.register(state.app)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register() -> str | Response:
    """Create a citizen account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(
                db.session,
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                postcode=form.postcode.data,
                date_of_birth=form.date_of_birth.data,
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            login_user(user)
            flash(f"Welcome, {user.display_name}. Your account is ready.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response:
    """Log in with email and password; go back to a page on this site afterwards."""
    target = safe_next(request.args.get("next"), url_for("main.home"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            flash(f"You are logged in as {user.display_name}.", "success")
            return redirect(target)
        add_error(form, "email", "The email address or password is not right")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out (a POST with the CSRF token, so other sites cannot log people out)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("main.home"))


@bp.get("/account")
@login_required
def account() -> str:
    """Show the user's roles, organisations, panels and proposals."""
    seats = db.session.scalars(
        select(PanelMember).where(PanelMember.user_id == current_user.id)
    ).all()
    return render_template(
        "auth/account.html",
        proposals=proposals_of_user(db.session, current_user),
        panel_seats=seats,
    )

"""Register, log in, log out, and the account page (details and password).

Sessions live in the signed cookie, so the server cannot list them. To end them when the
password changes, logging in stores a stamp derived (with the secret key) from the password
hash; a request whose stamp no longer matches the account is logged out.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from decide.extensions import db, limiter
from decide.models import PanelMember, User
from decide.services import accounts
from decide.services.errors import DomainError
from decide.services.proposals import proposals_of_user
from decide.web import forms
from decide.web.access import require, safe_next
from decide.web.forms import (
    AccountDetailsForm,
    LoginForm,
    PasswordChangeForm,
    RegisterForm,
    add_error,
    show_domain_error,
)

bp = Blueprint("auth", __name__)


@bp.record_once
def _register_template_helpers(state: BlueprintSetupState) -> None:
    forms.register(state.app)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


SESSION_STAMP = "password_stamp"


def _password_stamp(user: User) -> str:
    """Return a value that changes whenever the account's password changes (and reveals none)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"decide/session/v1\x00{user.id}\x00{user.password_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _log_in(user: User) -> None:
    login_user(user)
    session[SESSION_STAMP] = _password_stamp(user)


@bp.before_app_request
def _end_sessions_older_than_the_password() -> None:
    """Log out a session that began before the account's password was changed."""
    stamp = session.get(SESSION_STAMP)
    if stamp is None:
        return
    if not current_user.is_authenticated:
        session.pop(SESSION_STAMP, None)
        return
    if not hmac.compare_digest(str(stamp), _password_stamp(current_user)):
        logout_user()
        session.pop(SESSION_STAMP, None)
        flash("Your password was changed, so you were logged out here. Log in again.", "info")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register() -> str | Response:
    """Create a citizen account, log in, and go back to a page on this site (or home)."""
    target = safe_next(request.args.get("next"), url_for("main.home"))
    if current_user.is_authenticated:
        return redirect(target)
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
            _log_in(user)
            flash(f"Welcome, {user.display_name}. Your account is ready.", "success")
            return redirect(target)
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
            _log_in(user)
            flash(f"You are logged in as {user.display_name}.", "success")
            return redirect(target)
        add_error(form, "email", "The email address or password is not right")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out (a POST with the CSRF token, so other sites cannot log people out)."""
    logout_user()
    session.pop(SESSION_STAMP, None)
    flash("You are logged out.", "info")
    return redirect(url_for("main.home"))


def _me() -> User:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


def _account_page(
    details: AccountDetailsForm, password: PasswordChangeForm, failed: object = None
) -> str:
    """Render the account page; `failed` is the form whose errors the summary lists."""
    seats = db.session.scalars(
        select(PanelMember).where(PanelMember.user_id == current_user.id)
    ).all()
    return render_template(
        "auth/account.html",
        details=details,
        password=password,
        failed=failed,
        password_min_length=accounts.PASSWORD_MIN_LENGTH,
        proposals=proposals_of_user(db.session, current_user),
        panel_seats=seats,
    )


@bp.route("/account", methods=["GET", "POST"])
def account() -> str | Response:
    """Show the account: details to change, password, roles and proposals; save the details."""
    require(current_user.is_authenticated)
    user = _me()
    form = AccountDetailsForm(obj=user)
    if form.validate_on_submit():
        try:
            accounts.update_details(
                db.session,
                user,
                display_name=form.display_name.data or "",
                postcode=form.postcode.data,
                date_of_birth=form.date_of_birth.data,
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Your details are saved.", "success")
            return redirect(url_for("auth.account"))
    failed = form if request.method == "POST" else None
    return _account_page(form, PasswordChangeForm(formdata=None), failed)


@bp.post("/account/password")
@limiter.limit(_login_limit)
def change_password() -> str | Response:
    """Change the password (the current one is needed); other sessions end."""
    require(current_user.is_authenticated)
    user = _me()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session,
                user,
                current_password=form.current_password.data or "",
                new_password=form.new_password.data or "",
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            session[SESSION_STAMP] = _password_stamp(user)
            flash(
                "Your password is changed. Anywhere else you were logged in, "
                "you will need to log in again.",
                "success",
            )
            return redirect(url_for("auth.account"))
    return _account_page(AccountDetailsForm(formdata=None, obj=user), form, form)

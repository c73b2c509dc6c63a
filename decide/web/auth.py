"""Register, verify, log in, log out, recover, and the account page.

A logged-in browser is a row of `LoginSession` (decide.services.accounts): the cookie carries
a random token and the row its hash. The user loader accepts a cookie only while its row
exists, so logging out, resetting the password or changing it (for the other browsers) ends
those sessions on the server: a copy of the cookie no longer works.

Registration, "forgot password" and "send the link again" answer the same whether or not the
address has an account; what differs is only the e-mail its owner receives.

Failed logins are counted per account (from any address) and per address; every attempt is
also limited per address. The limits are in decide/config.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

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
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from decide.extensions import db, limiter
from decide.models import PanelMember, User
from decide.services import accounts
from decide.services.errors import DomainError
from decide.services.proposals import proposals_of_user
from decide.web import forms, login_limits, mail
from decide.web.access import require, safe_next
from decide.web.forms import (
    AccountDetailsForm,
    EmailChangeForm,
    EmailOnlyForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    RegisterForm,
    add_error,
    show_domain_error,
    submit_form,
)

T = TypeVar("T")

bp = Blueprint("auth", __name__)

SESSION_TOKEN = "login_token"  # noqa: S105 - the session key's name, not a secret


@bp.record_once
def _register_template_helpers(state: BlueprintSetupState) -> None:
    forms.register(state.app)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _link(endpoint: str, **values: object) -> str:
    """Return an absolute link for an e-mail (PUBLIC_BASE_URL, not the request's host)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for(endpoint, **values)


def user_of_this_session(user_id: str) -> User | None:
    """Return the account of this browser's session while the session is live on the server."""
    token = session.get(SESSION_TOKEN)
    if not user_id.isdigit() or not isinstance(token, str):
        return None
    user = accounts.user_of_login_session(db.session, int(user_id), token)
    if user is None:
        # Ended elsewhere (a password change or reset, or a logout in another tab).
        session.pop(SESSION_TOKEN, None)
        flash("You were logged out here. Log in again.", "info")
    return user


def _log_in(user: User) -> None:
    login_user(user)
    session[SESSION_TOKEN] = accounts.start_login_session(db.session, user, now=_now())


# Registration and verification ----------------------------------------------------------------


def _send_verification(user: User, next_path: str | None = None) -> None:
    if not login_limits.may_mail(user.email):
        return
    token = accounts.verification_token(_secret(), user, next_path)
    mail.send(
        user.email,
        "Confirm your email address",
        "auth/mail/verify.txt",
        user=user,
        link=_link("auth.verify", token=token),
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register() -> str | Response:
    """Create an account and e-mail a link to verify the address (same page either way)."""
    target = safe_next(request.args.get("next"), url_for("main.home"))
    if current_user.is_authenticated:
        return redirect(target)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            done = accounts.register(
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
            if done.user is not None:
                _send_verification(done.user, safe_next(request.args.get("next"), ""))
            elif done.existing is not None and login_limits.may_mail(done.existing.email):
                mail.send(
                    done.existing.email,
                    "You already have an account",
                    "auth/mail/already_registered.txt",
                    user=done.existing,
                    login=_link("auth.login"),
                    forgot=_link("auth.forgot_password"),
                )
            return _to_check_email(form.email.data.strip(), reset=False)
    return render_template(
        "auth/register.html", form=form, password_min_length=accounts.PASSWORD_MIN_LENGTH
    )


SESSION_SENT = "mail_sent_to"


def _to_check_email(email: str, *, reset: bool) -> Response:
    """Go to the page that says where the e-mail went (POST, then redirect, then GET)."""
    session[SESSION_SENT] = {"email": email[:254], "reset": reset}
    return redirect(url_for("auth.check_email"), 303)


@bp.get("/check-email")
def check_email() -> str | Response:
    """Say where we sent the e-mail (the same words whether or not the address has an account)."""
    sent = session.pop(SESSION_SENT, None)
    if not isinstance(sent, dict):
        return redirect(url_for("main.home"))
    return render_template(
        "auth/check_email.html", email=sent.get("email", ""), reset=bool(sent.get("reset"))
    )


def _open_link(check: Callable[..., T], token: str) -> T:
    """Check an e-mailed verification link with `check` (raises accounts.BadLink)."""
    max_age = int(current_app.config["VERIFY_LINK_MAX_AGE"])
    return check(db.session, _secret(), token, max_age=max_age, now=_now())


def _bad_link(error: accounts.BadLink, kind: str) -> tuple[str, int]:
    """Say why an e-mailed link does not work (expired, used, or not ours)."""
    return render_template("auth/bad_link.html", message=error.message, kind=kind), 400


@bp.get("/verify/<token>")
def verify(token: str) -> str | Response:
    """Verify the address from the e-mailed link, then go on (or log in first)."""
    try:
        user, next_path = _open_link(accounts.verify_email, token)
    except accounts.BadLink as error:
        return _bad_link(error, "verify")
    target = safe_next(next_path, url_for("main.home"))
    return render_template("auth/verified.html", user=user, target=target)


@bp.post("/verify/resend")
@limiter.limit(_login_limit)
def resend_verification() -> Response:
    """E-mail the logged-in account a fresh verification link."""
    require(current_user.is_authenticated)
    user = _me()
    back = safe_next(request.form.get("next"), url_for("auth.account"))
    if not forms.ActionForm().validate_on_submit():
        flash("This form expired. Reload the page and try again.", "error")
        return redirect(back)
    if user.is_verified:
        flash("Your email address is already confirmed.", "info")
    else:
        _send_verification(user, back)
        flash(
            f"We have sent a new link to {user.email}. Open it to confirm your address. "
            "Check your spam folder if it does not arrive in a few minutes.",
            "success",
        )
    return redirect(back)


# Logging in and out ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> tuple[str, int] | str | Response:
    """Log in with email and password; go back to a page on this site afterwards."""
    target = safe_next(request.args.get("next"), url_for("main.home"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        paused = login_limits.throttled(email)
        if paused:
            add_error(form, None, paused)
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(db.session, email, form.password.data or "")
        if user is not None:
            _log_in(user)
            flash(f"You are logged in as {user.display_name}.", "success")
            return redirect(target)
        login_limits.count_failure(email)
        add_error(form, "email", "The email address or password is not right")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out and end the session on the server (a POST with the CSRF token)."""
    require(current_user.is_authenticated)
    token = session.pop(SESSION_TOKEN, None)
    if isinstance(token, str):
        accounts.end_login_session(db.session, token)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("main.home"))


# Forgotten passwords ---------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password() -> str | Response:
    """E-mail a password reset link (the page says the same whether the address has one)."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip()
        user = accounts.find_user_by_email(db.session, email)
        if user is not None and login_limits.may_mail(user.email):
            mail.send(
                user.email,
                "Reset your password",
                "auth/mail/reset.txt",
                user=user,
                link=_link("auth.reset_password", token=accounts.reset_token(_secret(), user)),
                minutes=int(current_app.config["RESET_LINK_MAX_AGE"]) // 60,
            )
        return _to_check_email(email, reset=True)
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str) -> tuple[str, int] | str | Response:
    """Set a new password from the e-mailed link; it works once, and logs out everywhere."""
    max_age = int(current_app.config["RESET_LINK_MAX_AGE"])
    try:
        user = accounts.account_for_reset(db.session, _secret(), token, max_age=max_age)
    except accounts.BadLink as error:
        return _bad_link(error, "reset")
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(
                db.session, _secret(), token, form.password.data or "", max_age=max_age, now=_now()
            )
        except accounts.BadLink as error:
            return _bad_link(error, "reset")
        except DomainError as error:
            show_domain_error(form, error)
        else:
            session.pop(SESSION_TOKEN, None)
            logout_user()
            flash("Your password is changed. Log in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return render_template(
        "auth/reset.html",
        form=form,
        user=user,
        password_min_length=accounts.PASSWORD_MIN_LENGTH,
    )


def _me() -> User:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


def _account_page(
    details: AccountDetailsForm,
    password: PasswordChangeForm,
    failed: object = None,
    email: EmailChangeForm | None = None,
) -> str:
    """Render the account page; `failed` is the form whose errors the summary lists."""
    seats = db.session.scalars(
        select(PanelMember).where(PanelMember.user_id == current_user.id)
    ).all()
    return render_template(
        "auth/account.html",
        details=details,
        password=password,
        email_form=email or EmailChangeForm(formdata=None),
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
    if submit_form(
        form,
        lambda: accounts.update_details(
            db.session,
            user,
            display_name=form.display_name.data or "",
            postcode=form.postcode.data,
            date_of_birth=form.date_of_birth.data,
        ),
        "Your details are saved.",
    ):
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
    if form.validate_on_submit() and login_limits.password_guess_paused(form, user):
        return _account_page(AccountDetailsForm(formdata=None, obj=user), form, form), 429  # type: ignore[return-value]
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session,
                user,
                current_password=form.current_password.data or "",
                new_password=form.new_password.data or "",
            )
        except DomainError as error:
            if error.field == "current_password":
                login_limits.count_failure(user.email)  # a wrong password counts as a failed login
            show_domain_error(form, error)
        else:
            accounts.end_other_login_sessions(db.session, user, session.get(SESSION_TOKEN))
            flash(
                "Your password is changed. Anywhere else you were logged in, "
                "you will need to log in again.",
                "success",
            )
            return redirect(url_for("auth.account"))
    return _account_page(AccountDetailsForm(formdata=None, obj=user), form, form)


@bp.post("/account/email")
@limiter.limit(_login_limit)
def change_email() -> str | Response:
    """Start a change of address: the password is needed, and the new address must confirm."""
    require(current_user.is_authenticated)
    user = _me()
    form = EmailChangeForm()
    if form.validate_on_submit() and login_limits.password_guess_paused(form, user):
        return _account_page(  # type: ignore[return-value]
            AccountDetailsForm(formdata=None, obj=user), PasswordChangeForm(formdata=None),
            form, email=form,
        ), 429  # fmt: skip
    if form.validate_on_submit():
        try:
            new_email = accounts.request_email_change(
                db.session, user, password=form.password.data or "", new_email=form.new_email.data
            )
        except DomainError as error:
            if error.field == "password":
                login_limits.count_failure(user.email)  # a wrong password counts as a failed login
            if error.field == "email":
                error.field = "new_email"
            show_domain_error(form, error)
        else:
            if not login_limits.may_mail(new_email):
                pass
            elif accounts.find_user_by_email(db.session, new_email) is not None:
                mail.send(
                    new_email,
                    "Someone tried to move an account to this address",
                    "auth/mail/email_in_use.txt",
                    forgot=_link("auth.forgot_password"),
                )
            else:
                token = accounts.email_change_token(_secret(), user, new_email)
                mail.send(
                    new_email,
                    "Confirm your new email address",
                    "auth/mail/change_email.txt",
                    user=user,
                    link=_link("auth.confirm_email_change", token=token),
                )
            flash(
                f"We have sent a link to {new_email}. Your address changes when you open it; "
                "until then, keep using your current one.",
                "success",
            )
            return redirect(url_for("auth.account"))
    return _account_page(
        AccountDetailsForm(formdata=None, obj=user),
        PasswordChangeForm(formdata=None),
        form,
        email=form,
    )


@bp.get("/account/email/<token>")
def confirm_email_change(token: str) -> tuple[str, int] | Response:
    """Move the account to its new, now verified, address; tell the old address."""
    try:
        user, old = _open_link(accounts.confirm_email_change, token)
    except accounts.BadLink as error:
        return _bad_link(error, "email")
    if old is None:  # the link was opened again: the change is already made
        return redirect(url_for("auth.account"))
    mail.send(
        old,
        "Your email address was changed",
        "auth/mail/email_changed.txt",
        user=user,
        forgot=_link("auth.forgot_password"),
    )
    flash(f"Your email address is now {user.email}.", "success")
    return redirect(url_for("auth.account"))

"""Forms of accounts: register, log in, the account page, passwords, e-mail, postcodes."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    PasswordField,
    StringField,
)
from wtforms.fields import DateField, EmailField
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
)

from decide.services.accounts import PASSWORD_MIN_LENGTH
from decide.web.forms.base import DecideForm


def email_field(
    label: str = "Email address", message: str = "Enter your email address"
) -> EmailField:
    """Return a required address box (at most 254 characters) that browsers fill in."""
    return EmailField(
        label,
        validators=[InputRequired(message), Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def password_field(
    label: str, message: str, autocomplete: str = "current-password"
) -> PasswordField:
    """Return a required password box; "new-password" lets the password manager offer one."""
    return PasswordField(
        label, validators=[InputRequired(message)], render_kw={"autocomplete": autocomplete}
    )


class RegisterForm(DecideForm):
    display_name = StringField(
        "Your name",
        validators=[InputRequired("Enter your name"), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Enter a password"),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=200,
                message=f"Your password must be at least {PASSWORD_MIN_LENGTH} characters",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    postcode = StringField(
        "Postcode",
        validators=[Optional(), Length(max=10)],
        render_kw={"autocomplete": "postal-code"},
    )
    date_of_birth = DateField("Date of birth", validators=[Optional()])


class LoginForm(DecideForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address")],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = password_field("Password", "Enter your password")


class AccountDetailsForm(DecideForm):
    """The account page: name, postcode and date of birth (the service checks each)."""

    display_name = StringField(
        "Your name",
        validators=[InputRequired("Enter your name")],
        render_kw={"autocomplete": "name"},
    )
    postcode = StringField("Postcode", render_kw={"autocomplete": "postal-code"})
    date_of_birth = DateField("Date of birth", validators=[Optional()])


class PasswordChangeForm(DecideForm):
    """The account page: a new password, allowed only with the current one."""

    current_password = password_field("Current password", "Enter your current password")
    new_password = password_field("New password", "Enter a new password", "new-password")


class EmailOnlyForm(DecideForm):
    """Ask for an address: to send a password reset link or a verification link again."""

    email = email_field()


class NewPasswordForm(DecideForm):
    """Set a new password from a reset link."""

    password = password_field("New password", "Enter a new password", "new-password")


class EmailChangeForm(DecideForm):
    """The account page: a new address, confirmed by the password and then by a link."""

    new_email = email_field("New email address", "Enter your new email address")
    password = password_field("Your password", "Enter your password")


class PostcodeTableForm(DecideForm):
    """A facilitator uploads a postcode -> area table (CSV: postcode,area)."""

    file = FileField("Postcode table (CSV)", validators=[FileRequired("Choose a CSV file")])


class PostcodeForm(DecideForm):
    """A voting page asks an account for what the round needs and it lacks, in place.

    The view removes the field the account does not need (see `for_missing`).
    """

    postcode = StringField(
        "Your postcode",
        validators=[InputRequired("Enter your postcode")],
        render_kw={"autocomplete": "postal-code", "autocapitalize": "characters"},
    )
    date_of_birth = DateField(
        "Your date of birth",
        validators=[InputRequired("Enter your date of birth, like 1984-04-12")],
        render_kw={"autocomplete": "bday"},
    )

    @classmethod
    def for_missing(cls, missing: frozenset[str], **kwargs: Any) -> PostcodeForm:
        """Return the form with only the fields named in `missing`."""
        form = cls(**kwargs)
        for name in ("postcode", "date_of_birth"):
            if name not in missing:
                delattr(form, name)
        return form

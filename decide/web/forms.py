"""Flask-WTF forms, money parsing, and the GOV.UK-style error helpers used by templates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, flash
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import DateField, EmailField
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import NumberInput, TextInput

from decide.models import ALLOCATION_RULES, BALLOT_KINDS, ORGANISATION_KINDS
from decide.models.proposal import FEASIBILITY
from decide.services.accounts import PASSWORD_MIN_LENGTH
from decide.services.eligibility import MAX_BATCH
from decide.services.errors import DomainError, InvalidInput
from decide.services.proposals import DESCRIPTION_MAX, SUMMARY_MAX, TITLE_MAX
from decide.services.rounds import MAX_COUNT, MAX_PENCE
from decide.services.sanitise import has_control_characters, whole_number

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice.
    from wtforms.fields.choices import SelectChoice as _SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    _SelectChoice = None


def options(pairs: Any) -> list[Any]:
    """Return choices for a select, radio or checkbox field from (value, label) pairs."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    if _SelectChoice is None:
        return [(value, label) for value, label in items]
    return [_SelectChoice(value, label) for value, label in items]


# [0-9], not \d: \d also matches other scripts' digits ('١٠٠'), which people do not mean here.
_POUNDS_RE = re.compile(r"^(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]{1,2}))?$")


def parse_pence(text: str) -> int:
    """Parse pounds as typed ('£12,500.50', '12500', '0.5') into integer pence, exactly.

    Raise ValueError with a message for people. Never goes through float, so '0.29' is 29.
    """
    cleaned = text.strip().replace("£", "", 1).strip().replace(" ", "")
    if cleaned.startswith("-"):
        raise ValueError("The amount must be more than £0")
    match = _POUNDS_RE.match(cleaned)
    if not match:
        raise ValueError("Enter an amount in pounds, like 1,250 or 1250.50")
    if len(match.group("whole")) > 20:  # int() refuses thousands of digits; no budget needs 20
        raise ValueError("The amount is too large")
    whole = int(match.group("whole").replace(",", ""))
    frac = (match.group("frac") or "").ljust(2, "0")
    return whole * 100 + int(frac or "0")


def format_pounds(pence: int | None) -> str:
    """Format pence for an input box, e.g. 1250050 -> '12500.50' (no symbol)."""
    if pence is None:
        return ""
    pounds, rem = divmod(pence, 100)
    return f"{pounds}" if rem == 0 else f"{pounds}.{rem:02d}"


def row_id(value: Any) -> int:
    """Coerce a submitted id (of an area, a theme...); one no id column holds is refused."""
    number = int(value)  # a ValueError (also for '²' or thousands of digits) is WTForms' cue
    if not 0 <= number <= MAX_COUNT:
        raise ValueError("Not a valid choice")
    return number


class PoundsField(Field):
    """A text input for pounds whose data is integer pence (or None when empty)."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_pounds(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = parse_pence(str(valuelist[0]))
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        if self.data > MAX_PENCE:
            self.data = None
            raise ValueError("The amount must be £20,000,000 or less")


class AmountRequired:
    """Require an amount: keep a parse error as it is; blank or spaces get `message`.

    (DataRequired would replace "Enter an amount in pounds, like 1,250" with its own words,
    and InputRequired lets a budget of only spaces through as no amount.)
    """

    def __init__(self, message: str) -> None:
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form: Any, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(self.message)


def positive_pence(form: Any, field: PoundsField) -> None:
    """Refuse zero (negatives never parse)."""
    if field.data is not None and field.data <= 0:
        raise ValidationError("The amount must be more than £0")


CONTROL_CHARACTERS_MESSAGE = (
    "This contains invisible control characters. Delete them, or type the text again "
    "instead of pasting it"
)


class DecideForm(FlaskForm):
    """The base of our forms: a field with invisible control characters is refused, with a
    message next to it, before any service sees the value."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in _walk(self):
            if has_control_characters(field.raw_data):
                field.errors = [CONTROL_CHARACTERS_MESSAGE]
                valid = False
        self._errors = None  # Form.errors caches; let it see the messages set here
        return valid


class ActionForm(DecideForm):
    """A form with only the CSRF token, for buttons that POST an action."""


def run_action(
    action: Callable[[], Any], success: str | Callable[[Any], str], category: str = "success"
) -> None:
    """Run a one-button POST action and flash its outcome: the service's refusal, or success."""
    if not ActionForm().validate_on_submit():
        flash("This form expired. Reload the page and try again.", "error")
        return
    try:
        result = action()
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(success(result) if callable(success) else success, category)


# --- Accounts -------------------------------------------------------------------------------
class RegisterForm(DecideForm):
    display_name = StringField(
        "Your name",
        validators=[InputRequired("Enter your name"), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
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
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password")],
        render_kw={"autocomplete": "current-password"},
    )


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

    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password")],
        render_kw={"autocomplete": "new-password"},
    )


class EmailOnlyForm(DecideForm):
    """Ask for an address: to send a password reset link or a verification link again."""

    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class NewPasswordForm(DecideForm):
    """Set a new password from a reset link."""

    password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password")],
        render_kw={"autocomplete": "new-password"},
    )


class EmailChangeForm(DecideForm):
    """The account page: a new address, confirmed by the password and then by a link."""

    new_email = EmailField(
        "New email address",
        validators=[InputRequired("Enter your new email address"), Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        "Your password",
        validators=[InputRequired("Enter your password")],
        render_kw={"autocomplete": "current-password"},
    )


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


# --- Rounds ---------------------------------------------------------------------------------
def _int_field(
    label: str, *, required: bool = False, minimum: int = 0, maximum: int = MAX_COUNT
) -> IntegerField:
    """Return a whole-number field bounded to what its column holds; empty is None if optional."""
    checks: list[Any] = [InputRequired(f"Enter the {label.lower()}")] if required else [Optional()]
    checks.append(NumberRange(min=minimum, message=f"Enter a whole number of {minimum} or more"))
    checks.append(NumberRange(max=maximum, message=f"Enter a whole number of {maximum:,} or less"))
    return IntegerField(label, validators=checks, render_kw={"inputmode": "numeric"})


_COUNT_RE = re.compile(r"^-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]{1,20})$")


class WholeNumberField(Field):
    """A text input for a count typed as people write it ('9,000', '9 000' or '9000').

    A number input refuses the thousands comma that the page itself prints, so this is a text
    input with a numeric keyboard. Its data is an int (the service checks its range), or None
    when left empty; text that is not a whole number is refused here.
    """

    widget = TextInput()

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data:,}"

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        if not (text.isascii() and _COUNT_RE.match(text)):
            raise ValueError("Enter a whole number, like 9,000 or 9000")
        self.data = int(text.replace(",", "").replace(" ", ""))  # at most 20 digits


class RoundForm(DecideForm):
    title = StringField("Title", validators=[InputRequired("Enter a title"), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=20_000)])
    budget_pence = PoundsField(
        "Budget in pounds",
        validators=[AmountRequired("Enter the budget in pounds"), positive_pence],
    )
    area_ids = SelectMultipleField("Areas", coerce=row_id, validate_choice=False)
    theme_ids = SelectMultipleField("Themes", coerce=row_id, validate_choice=False)
    ballot_kind = RadioField(
        "Ballot kind", choices=options(BALLOT_KINDS), default="approval",
        validators=[InputRequired("Choose a ballot kind")],
    )  # fmt: skip
    min_choices = _int_field("Minimum number of projects")  # empty: no minimum (NOT_SET)
    max_choices = _int_field("Maximum number of projects", minimum=1)
    min_budget_share_percent = _int_field("Minimum share of the budget (per cent)", maximum=100)
    points_total = _int_field("Points each voter has", minimum=1)
    max_points_per_project = _int_field("Maximum points per project", minimum=1)
    rank_depth = _int_field("Number of projects a voter may rank", minimum=1)
    allocation_rule = RadioField(
        "Allocation rule", choices=options(ALLOCATION_RULES), default="equal-shares",
        validators=[InputRequired("Choose an allocation rule")],
    )  # fmt: skip
    signature_threshold = _int_field("Signatures needed to publish results", required=True)
    threshold_reason = TextAreaField(
        "Why one signature is enough", validators=[Optional(), Length(max=500)]
    )
    proposals_open = DateField("Proposals open", validators=[Optional()])
    proposals_close = DateField("Proposals close", validators=[Optional()])
    deliberation_close = DateField("Deliberation ends", validators=[Optional()])
    voting_open = DateField("Voting opens", validators=[Optional()])
    voting_close = DateField("Voting closes", validators=[Optional()])
    results_date = DateField("Results published", validators=[Optional()])


class PhaseForm(DecideForm):
    to_phase = HiddenField(validators=[InputRequired()])


class PanelMemberForm(DecideForm):
    email = EmailField(
        "Email address of their account",
        validators=[InputRequired("Enter the email address of their account")],
    )
    role_title = StringField(
        "Role on the panel", default="Panel member", validators=[Length(max=120)]
    )


# --- Proposals ------------------------------------------------------------------------------
class CostLineForm(Form):
    """One cost line; a row left completely empty is ignored."""

    item = StringField("What it pays for", validators=[Length(max=200)])
    amount = PoundsField("Amount in pounds")

    def validate_amount(self, field: PoundsField) -> None:
        if field.data is not None and field.data <= 0:
            raise ValidationError("The amount must be more than £0")
        if field.data is None and not field.errors and (self.item.data or "").strip():
            raise ValidationError("Enter the amount for this line")

    def validate_item(self, field: StringField) -> None:
        if (
            not (field.data or "").strip()
            and self.amount.raw_data
            and str(self.amount.raw_data[0]).strip()
        ):
            raise ValidationError("Describe what this amount pays for")


class ProposalForm(DecideForm):
    organisation_id = SelectField("Who is proposing?", coerce=row_id, validate_choice=False)
    title = StringField(
        "Title",
        validators=[
            InputRequired("Enter a title"),
            Length(max=TITLE_MAX, message=f"The title must be {TITLE_MAX} characters or fewer"),
        ],
    )
    summary = TextAreaField(
        "Summary",
        validators=[
            InputRequired("Enter a short summary"),
            Length(
                max=SUMMARY_MAX, message=f"The summary must be {SUMMARY_MAX} characters or fewer"
            ),
        ],
    )
    description_md = TextAreaField(
        "Description",
        validators=[
            Length(
                max=DESCRIPTION_MAX,
                message=f"The description must be {DESCRIPTION_MAX:,} characters or fewer",
            )
        ],
    )
    expected_outcomes = TextAreaField("Expected outcomes", validators=[Length(max=5_000)])
    area_id = SelectField("Area", coerce=row_id, validate_choice=False)
    theme_ids = SelectMultipleField("Themes", coerce=row_id, validate_choice=False)
    cost_lines = FieldList(FormField(CostLineForm), min_entries=1, max_entries=50)
    add_line = SubmitField("Add another line")

    def validate_area_id(self, field: SelectField) -> None:
        if not field.data and len(field.choices or []) > 1:
            raise ValidationError("Choose the area the proposal serves")

    def validate_cost_lines(self, field: FieldList) -> None:
        if not self.add_line.data and not self.filled_cost_lines():
            raise ValidationError("Add at least one cost line")

    def filled_cost_lines(self) -> tuple[tuple[str, int], ...]:
        """Return the cost lines with something in them, as (item, pence)."""
        return tuple(
            ((entry.item.data or "").strip(), entry.amount.data or 0)
            for entry in self.cost_lines.entries
            if (entry.item.data or "").strip() or entry.amount.data is not None
        )


class ReviewForm(DecideForm):
    feasibility = RadioField(
        "Feasibility", choices=options(FEASIBILITY),
        validators=[InputRequired("Choose pending, feasible or not feasible")],
    )  # fmt: skip
    feasibility_reason = TextAreaField(
        "Reason (shown to the author)", validators=[Length(max=5000)]
    )
    adjusted_cost_pence = PoundsField(
        "Adjusted cost in pounds", validators=[Optional(), positive_pence]
    )
    cost_adjustment_reason = TextAreaField(
        "Reason for the adjusted cost", validators=[Length(max=5000)]
    )


def _optional_id(value: Any) -> int | None:
    """Coerce a select's value to an id, or None for the empty "choose" option."""
    if value in ("", None):
        return None
    return row_id(value)


class AcceptForm(DecideForm):
    """Accept a proposal onto the ballot, naming who is paid if it is funded."""

    payee_id = SelectField("Paid to", coerce=_optional_id, validate_choice=False)
    next = HiddenField()


# --- Community assets -----------------------------------------------------------------------
class OrganisationForm(DecideForm):
    name = StringField(
        "Name", validators=[InputRequired("Enter the organisation's name"), Length(max=160)]
    )
    kind = SelectField("Kind of organisation", choices=options(ORGANISATION_KINDS))
    description = TextAreaField("About the organisation", validators=[Length(max=10_000)])
    contact_email = EmailField("Contact email", validators=[Optional(), Length(max=254)])
    contact_phone = StringField("Contact phone", validators=[Optional(), Length(max=40)])
    website = StringField("Website", validators=[Optional(), Length(max=254)])
    area_ids = SelectMultipleField("Areas served", coerce=row_id, validate_choice=False)


class MemberForm(DecideForm):
    email = EmailField(
        "Email address of their account", validators=[InputRequired("Enter an email address")]
    )
    role = SelectField(
        "Role", choices=options({"member": "Member", "admin": "Admin (can edit the profile)"})
    )


# --- Error helpers for templates ------------------------------------------------------------
def _walk(form: Any) -> Iterator[Field]:
    for field in form:
        if isinstance(field, FieldList):
            yield field  # its own messages, such as "Add at least one cost line"
            for entry in field.entries:
                yield from _walk(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from _walk(field.form)
        else:
            yield field


def anchor_id(field: Field) -> str:
    """Return the id of the element an error link should move focus to."""
    if isinstance(field, (RadioField, SelectMultipleField)) and not isinstance(field, SelectField):
        return f"{field.id}-0"
    return field.id


def error_list(form: Any) -> list[tuple[str | None, str]]:
    """Return (anchor id, message) for every error on the form, in field order."""
    items: list[tuple[str | None, str]] = [(None, m) for m in getattr(form, "page_errors", [])]
    for field in _walk(form):
        if field.type in ("CSRFTokenField",):
            continue
        for message in field.errors or []:
            if isinstance(message, str):
                items.append((anchor_id(field), message))
    return items


def find_field(form: Any, name: str) -> Field | None:
    """Return the (possibly nested) field called `name`, e.g. 'cost_lines-1-amount'."""
    for field in _walk(form):
        if field.name == name:
            return field
    # A form with a prefix names its fields "prefix-name"; services use the short name.
    field = form._fields.get(name)
    return field if isinstance(field, Field) else None


def add_error(form: Any, name: str | None, message: str) -> None:
    """Attach a message to a field, or to the whole form when no such field exists."""
    field = find_field(form, name) if name else None
    if field is None:
        form.page_errors = [*getattr(form, "page_errors", []), message]
    else:
        field.errors = [*(field.errors or []), message]


def show_domain_error(form: Any, error: DomainError) -> None:
    """Put a service's refusal on the form, next to the fields it names."""
    if isinstance(error, InvalidInput):
        for name, message in error.errors.items():
            add_error(form, name, message)
    else:
        add_error(form, error.field, error.message)


def field_attrs(field: Field, hint: str | None = None, **extra: Any) -> dict[str, Any]:
    """Return the aria attributes tying an input to its hint and error message."""
    described = []
    if hint:
        described.append(f"{field.id}-hint")
    if field.errors:
        described.append(f"{field.id}-error")
        extra["aria-invalid"] = "true"
    if described:
        extra["aria-describedby"] = " ".join(described)
    return extra


def register(app: Flask) -> None:
    """Make the error helpers available to every template."""
    from decide.models import PHASE_LABELS
    from decide.services.rounds import ballot_summary

    app.jinja_env.globals.update(
        form_errors=error_list, field_attrs=field_attrs, anchor_id=anchor_id,
        ballot_summary=ballot_summary,
    )  # fmt: skip
    app.jinja_env.filters["feasibility_label"] = lambda v: FEASIBILITY.get(v, v)
    app.jinja_env.filters["phase_label"] = lambda v: PHASE_LABELS.get(v, v)


class AreaForm(DecideForm):
    name = StringField("Name", validators=[InputRequired("Enter the area's name"), Length(max=120)])
    population = WholeNumberField(
        "Population",
        validators=[InputRequired("Enter the population as a whole number, 0 or more")],
    )
    deprivation_decile = IntegerField(
        "Deprivation decile",
        validators=[InputRequired("Enter a decile from 1 (most deprived) to 10")],
        render_kw={"inputmode": "numeric"},
    )


class ThemeForm(DecideForm):
    name = StringField("Name", validators=[InputRequired("Enter the theme's name"), Length(max=80)])


# --- Register: numbered paper ballots, codes for roll entries, the self-declared warning ----
class PaperNumbersForm(DecideForm):
    """A facilitator issues a batch of numbered paper ballots to print."""

    count = IntegerField(
        "How many paper ballots",
        validators=[
            InputRequired("Enter how many paper ballots to number"),
            NumberRange(1, 5000, "Enter a number of paper ballots from 1 to 5,000"),
        ],
        render_kw={"inputmode": "numeric"},
    )
    label = StringField(
        "Label (for example the polling station)",
        validators=[Optional(), Length(max=120, message="Keep the label to 120 characters")],
    )


class RollCodesForm(DecideForm):
    """A facilitator makes one access code for each listed roll reference."""

    references = TextAreaField(
        "Reference numbers, one a line",
        validators=[InputRequired("Enter at least one reference number from the roll")],
    )
    label = StringField(
        "Label (for example the mailing)",
        validators=[Optional(), Length(max=120, message="Keep the label to 120 characters")],
    )


class SelfDeclaredForm(DecideForm):
    """A facilitator confirms they read what a round without a voter roll allows."""

    understood = BooleanField("I have read this and accept it for this round")


# --- Ledger ---------------------------------------------------------------------------------
class LedgerPaymentForm(DecideForm):
    """A facilitator records a payment; the ledger service checks it against the allocation."""

    project_code = SelectField(
        "Project paid", validators=[InputRequired("Choose the project paid")], validate_choice=False
    )
    amount = PoundsField(
        "Amount",
        validators=[
            AmountRequired("Enter an amount in pounds, like 1,250 or 1250.50"),
            positive_pence,
        ],
    )
    # Checked in the view against today and the signed results' date.
    paid_on = StringField("Date paid", render_kw={"type": "date"})
    bank_reference = StringField("Bank reference", render_kw={"autocomplete": "off"})
    approver = StringField("Approved by")


# --- Eligibility ----------------------------------------------------------------------------
class BoundedNumberField(Field):
    """A number box whose data is a whole number from `minimum` to `maximum`, or None if empty.

    Only ASCII digits count (`sanitise.whole_number`); anything else gets `message`, and so
    does an empty box when the field is required.
    """

    widget = NumberInput()

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        *,
        message: str,
        minimum: int = 0,
        maximum: int = MAX_COUNT,
        required: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "min": minimum, "max": maximum})
        super().__init__(label, validators, **kwargs)
        self.message, self.minimum, self.maximum = message, minimum, maximum
        self.required = required

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        value = whole_number(text, maximum=self.maximum)
        if value is None or value < self.minimum:
            raise ValueError(self.message)
        self.data = value

    def pre_validate(self, form: Any) -> None:
        if self.required and self.data is None and not self.process_errors:
            raise StopValidation(self.message)


class EligibilityForm(DecideForm):
    """A facilitator chooses the ways to show one may vote, and a minimum age."""

    by_postcode = BooleanField("An account with a postcode in one of the round's areas")
    by_roll = BooleanField("On the voter roll (reference number and date of birth)")
    by_code = BooleanField("A one-time access code (for community events; no account needed)")
    min_age = BoundedNumberField(
        "Minimum age (leave empty for none)",
        message="The minimum age must be a whole number of years.",
        render_kw={"inputmode": "numeric", "min": 0, "max": 120},
    )


class RollUploadForm(DecideForm):
    """A facilitator uploads the voter roll as a CSV file."""

    roll_file = FileField(
        "Voter roll (CSV)",
        validators=[FileRequired("Choose a CSV file to upload.")],
        render_kw={"accept": ".csv,text/csv"},
    )


class AccessCodesForm(DecideForm):
    """A facilitator makes a batch of one-time access codes to print."""

    count = BoundedNumberField(
        "How many codes",
        message=f"Enter a number of codes from 1 to {MAX_BATCH}.",
        minimum=1,
        maximum=MAX_BATCH,
        required=True,
        default=50,
    )
    label = StringField(
        "Label (for example the event)",
        validators=[Optional(), Length(max=120, message="Keep the label to 120 characters")],
    )

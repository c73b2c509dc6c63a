"""Forms of the voter register, paper ballots, eligibility settings and the ledger."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from decide.services.access_codes import MAX_BATCH
from decide.web.forms.base import DecideForm
from decide.web.forms.fields import AmountRequired, BoundedNumberField, PoundsField, positive_pence


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
    milestone_id = SelectField("Milestone whose tranche this pays", choices=[],
                               validate_choice=False)  # fmt: skip
    # Required by the ledger service when the payment goes beyond confirmed tranches.
    reason = TextAreaField("Reason for paying beyond the confirmed milestones' tranches",
                           validators=[Length(max=1000)])  # fmt: skip


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

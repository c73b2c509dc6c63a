"""Forms of proposals, their review, and community assets."""

from __future__ import annotations

from typing import Any

from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import EmailField
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from decide.models import ORGANISATION_KINDS
from decide.models.proposal import FEASIBILITY
from decide.services.proposals import DESCRIPTION_MAX, SUMMARY_MAX, TITLE_MAX
from decide.web.forms.base import DecideForm
from decide.web.forms.fields import PoundsField, options, positive_pence, row_id


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

"""Forms of rounds: settings, phase, panel, areas and themes."""

from __future__ import annotations

from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateField, EmailField
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
)

from decide.models import ALLOCATION_RULES, BALLOT_KINDS
from decide.web.forms.base import DecideForm
from decide.web.forms.fields import (
    AmountRequired,
    PoundsField,
    WholeNumberField,
    int_field,
    options,
    positive_pence,
    row_id,
)


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
    min_choices = int_field("Minimum number of projects")  # empty: no minimum (NOT_SET)
    max_choices = int_field("Maximum number of projects", minimum=1)
    min_budget_share_percent = int_field("Minimum share of the budget (per cent)", maximum=100)
    points_total = int_field("Points each voter has", minimum=1)
    max_points_per_project = int_field("Maximum points per project", minimum=1)
    rank_depth = int_field("Number of projects a voter may rank", minimum=1)
    allocation_rule = RadioField(
        "Allocation rule", choices=options(ALLOCATION_RULES), default="equal-shares",
        validators=[InputRequired("Choose an allocation rule")],
    )  # fmt: skip
    signature_threshold = int_field("Signatures needed to publish results", required=True)
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

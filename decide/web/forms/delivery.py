"""Forms of delivery: milestones, progress updates with photos, impact figures, stories with
consent, the outcome framework, the retrospective and carrying a proposal over.

Photo fields are plain file inputs; the service (decide.services.photos) checks their size,
type and alt text, so one message names the photo that is wrong and nothing is stored.
"""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from decide.models.delivery import AGGREGATIONS, MAX_PHOTOS_PER_UPDATE, MILESTONE_STATUSES
from decide.services.delivery_reports import NO_PAGE_CONSENT
from decide.services.photos import ALT_TEXT_MAX
from decide.web.forms.base import DecideForm
from decide.web.forms.fields import AmountRequired, PoundsField, options


class MilestoneForm(DecideForm):
    """A facilitator plans a milestone and the tranche paid once it is confirmed."""

    title = StringField(
        "Milestone", validators=[InputRequired("Give the milestone a title"), Length(max=200)]
    )
    planned_on = StringField("Planned date", render_kw={"type": "date"})
    tranche = PoundsField(
        "Tranche paid when confirmed",
        validators=[AmountRequired("Enter the tranche in pounds, like 1,250 (0 for none)")],
    )


class WithdrawConfirmationForm(DecideForm):
    """A facilitator takes back a milestone's confirmation made by mistake."""

    reason = TextAreaField(
        "Why the confirmation is withdrawn",
        validators=[InputRequired("Say why the confirmation is withdrawn"), Length(max=1000)],
    )
    status = SelectField(
        "Its status now",
        choices=options({k: v for k, v in MILESTONE_STATUSES.items() if k != "completed"}),
        default="on-track",
        validate_choice=True,
    )


class StatusForm(DecideForm):
    """The delivering organisation reports a milestone's status."""

    status = SelectField("Status", choices=options(MILESTONE_STATUSES), validate_choice=True)


def _photo_fields(cls: type) -> type:
    for n in range(1, MAX_PHOTOS_PER_UPDATE + 1):
        setattr(cls, f"photo_{n}", FileField(f"Photo {n}", render_kw={"accept": "image/*"}))
        setattr(
            cls,
            f"alt_{n}",
            StringField(f"Alt text of photo {n}", validators=[Length(max=ALT_TEXT_MAX)]),
        )
    return cls


@_photo_fields
class UpdateForm(DecideForm):
    """A member of the delivering organisation posts progress with up to four photos."""

    text = TextAreaField(
        "What has happened", validators=[InputRequired("Say what has happened"), Length(max=5000)]
    )
    milestone_id = SelectField("Milestone this is about", choices=[], validate_choice=False)


class FigureForm(DecideForm):
    """A figure reported against a measure of the round's outcome framework."""

    measure_id = SelectField("Measure", choices=[], validate_choice=False)
    value = StringField("Figure", validators=[InputRequired("Enter the figure, like 120")])
    milestone_id = SelectField("At milestone", choices=[], validate_choice=False)
    area_id = SelectField("Area (for measures by area)", choices=[], validate_choice=False)
    decile = SelectField(
        "Deprivation decile (for measures by decile)",
        choices=options([("", "None")] + [(str(d), str(d)) for d in range(1, 11)]),
        validate_choice=True,  # the view narrows the choices to the round's measures
    )


# Where the person in a story agreed it may be shown: the project page is needed to publish.
CONSENT_SCOPES = {
    "page": "On the project page",
    "open_data": "In the open data under CC BY 4.0 (anyone may reuse it)",
}


class StoryForm(DecideForm):
    """A story, the consent of the person in it, and an optional photo."""

    title = StringField("Title", validators=[InputRequired("Give the story a title"),
                                             Length(max=200)])  # fmt: skip
    text = TextAreaField("The story", validators=[InputRequired("Write the story"),
                                                  Length(max=5000)])  # fmt: skip
    # Required here as well as in the service, so that an empty form lists every gap at once.
    consent_by = StringField(
        "Consent given by",
        validators=[InputRequired("Enter who gave consent"), Length(max=120)],
    )
    consent_on = StringField(
        "Date consent was given",
        validators=[InputRequired("Enter the date consent was given, like 2026-03-01")],
        render_kw={"type": "date"},
    )
    consent_scopes = SelectMultipleField(
        "Where they agreed it may be shown",
        choices=options(CONSENT_SCOPES),
        validate_choice=True,
    )
    consent_use = StringField("Note on the consent", validators=[Optional(), Length(max=300)])

    def validate_consent_scopes(self, field: SelectMultipleField) -> None:
        """Refuse a story without consent to the project page (the service checks it too)."""
        if "page" not in (field.data or []):
            raise ValidationError(NO_PAGE_CONSENT)

    photo = FileField("Photo", render_kw={"accept": "image/*"})
    photo_alt = StringField("Alt text of the photo", validators=[Length(max=ALT_TEXT_MAX)])


class MeasureForm(DecideForm):
    """A measure of the round's outcome framework."""

    name = StringField("Measure", validators=[InputRequired("Name the measure"), Length(max=120)])
    unit = StringField("Unit", validators=[InputRequired("Give the unit"), Length(max=40)])
    description = StringField("Description", validators=[Optional(), Length(max=300)])
    may_be_negative = BooleanField(
        "May be negative (a change score, such as wellbeing after minus before)"
    )
    by_area = BooleanField("Reported by area")
    by_decile = BooleanField("Reported by deprivation decile")
    whole_numbers = BooleanField("Whole numbers only (a count, such as people or sessions)")
    aggregation = RadioField(
        "How its figures make a total",
        choices=options(AGGREGATIONS),
        default="sum",
        validators=[InputRequired("Choose how the figures make a total")],
    )


class RetrospectiveForm(DecideForm):
    """The round's retrospective, by the facilitator and the panel."""

    what_worked = TextAreaField("What worked", validators=[Length(max=5000)])
    what_did_not = TextAreaField("What did not work", validators=[Length(max=5000)])
    changes_next_round = TextAreaField("What changes next round", validators=[Length(max=5000)])
    authors = StringField("Written by", validators=[Length(max=500)])


class CarryOverForm(DecideForm):
    """The proposer consents to carry an unfunded proposal into a round taking proposals."""

    to_round_id = SelectField("Carry it into", choices=[], validate_choice=False)


__all__ = [
    "CarryOverForm",
    "FigureForm",
    "MeasureForm",
    "MilestoneForm",
    "RetrospectiveForm",
    "StatusForm",
    "StoryForm",
    "UpdateForm",
    "WithdrawConfirmationForm",
]

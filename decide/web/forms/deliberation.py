"""Forms of the panel's deliberation pages (sessions, scores, votes, arguments, minutes)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from decide.models import Proposal, RubricCriterion
from decide.models.deliberation import ARGUMENT_SIDES, DECISION_METHODS
from decide.services.deliberation.arguments import ARGUMENT_MAX, REASON_MAX
from decide.services.deliberation.scoring import SCORE_MAX
from decide.web.forms.base import DecideForm
from decide.web.forms.fields import bounded_field, options, row_id


class SessionForm(DecideForm):
    title = StringField("Title", validators=[InputRequired("Enter a title"), Length(max=200)])
    starts_at = DateTimeLocalField(
        "Date and time",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Enter the date and time, like 2027-03-04 18:30")],
    )
    place = StringField("Place", validators=[Length(max=300)])
    online_link = StringField("Online link", validators=[Length(max=500)])
    proposal_ids = SelectMultipleField("Proposals", coerce=row_id, validate_choice=False)
    topics = TextAreaField("Other topics", validators=[Length(max=3000)])

    def topic_list(self) -> list[str]:
        """Return the topics, one a line."""
        return [line.strip()[:300] for line in (self.topics.data or "").splitlines()]


class DocumentForm(DecideForm):
    title = StringField(
        "Document title", validators=[InputRequired("Enter the document's title"), Length(max=200)]
    )
    url = StringField("Link", validators=[Length(max=500)])
    upload = FileField("Or upload a file")


class AttendanceForm(DecideForm):
    present = SelectMultipleField("Present", coerce=row_id, validate_choice=False)


class ConflictForm(DecideForm):
    proposal_id = SelectField(
        "Proposal", coerce=row_id, validators=[InputRequired("Choose a proposal")]
    )
    reason = StringField(
        "What the conflict is",
        validators=[InputRequired("Say what the conflict is"), Length(max=300)],
    )


class CriterionForm(Form):
    name = StringField("Criterion", validators=[Length(max=120)])
    weight = bounded_field("Weight", minimum=1, maximum=100, example=20)
    description = StringField("What it means", validators=[Length(max=300)])


class RubricForm(DecideForm):
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=12)


_DECIMAL = re.compile(r"^[0-9](?:\.[0-9]{1,2})?$")


class ShortlistForm(DecideForm):
    method = RadioField(
        "How the panel decides",
        choices=options(DECISION_METHODS),
        validators=[InputRequired("Choose how the panel decides")],
    )
    places = bounded_field("Places on the shortlist", minimum=1, maximum=100, example=3)
    threshold = StringField("Threshold (median score, 0 to 5)", validators=[Length(max=10)])

    def validate(self, extra_validators: Any = None) -> bool:
        # Each field is optional on its own; which one is needed depends on the method.
        valid = super().validate(extra_validators)
        if self.method.data == "ranked" and self.places.data is None and not self.places.errors:
            self.places.errors = ["Enter the number of places"]
            valid = False
        threshold = (self.threshold.data or "").strip()
        if self.method.data == "threshold" and not _DECIMAL.match(threshold):
            self.threshold.errors = ["Enter a score from 0 to 5, like 3 or 3.5"]
            valid = False
        self._errors = None
        return valid

    def threshold_value(self) -> Fraction:
        """Return the threshold as an exact fraction."""
        return Fraction((self.threshold.data or "0").strip())


class ApplyShortlistForm(DecideForm):
    """The confirm step before a shortlist replaces the ballot's project list."""

    # The ballot's project ids as the facilitator reviewed them, so a ballot that changed in
    # between is not replaced unseen.
    seen = HiddenField()
    confirm = HiddenField()

    def seen_ids(self) -> list[int]:
        """Return the reviewed project ids (none if the field was tampered with)."""
        parts = (self.seen.data or "").split(",")
        return [int(p) for p in parts if p.isascii() and p.isdigit() and len(p) < 12]


class ReasonForm(DecideForm):
    reason = TextAreaField(
        "Reason",
        validators=[InputRequired("Give the reason it was not shortlisted"), Length(max=1000)],
    )


class ArgumentForm(DecideForm):
    side = RadioField(
        "Your argument is",
        choices=options(ARGUMENT_SIDES),
        validators=[InputRequired("Choose for or against")],
    )
    body = TextAreaField(
        "Your argument",
        validators=[InputRequired("Write your argument"), Length(max=ARGUMENT_MAX)],
    )
    parent_id = HiddenField()

    def validate_parent_id(self, field: HiddenField) -> None:
        """Refuse a reply target that is not a plain whole number (never post it top-level)."""
        text = (field.data or "").strip()
        if text and not (text.isascii() and text.isdigit() and len(text) < 10):
            raise ValidationError("Reply to an argument shown on this page")

    def parent(self) -> int | None:
        """Return the id of the argument replied to, if any."""
        text = (self.parent_id.data or "").strip()
        return int(text) if text else None


class HideForm(DecideForm):
    reason = StringField(
        "Public reason for hiding it",
        validators=[InputRequired("Give the public reason for hiding it"), Length(max=REASON_MAX)],
    )


class ReportForm(DecideForm):
    reason = StringField("What is wrong with it", validators=[Optional(), Length(max=REASON_MAX)])


def score_form(criteria: Sequence[RubricCriterion], current: dict[int, int]) -> DecideForm:
    """Return a form with one 0-to-5 choice per criterion, filled with the member's scores."""

    class ScoreForm(DecideForm):
        pass

    scale = options([(str(v), str(v)) for v in range(SCORE_MAX + 1)])
    for c in criteria:
        setattr(
            ScoreForm,
            f"criterion_{c.id}",
            RadioField(
                c.name,
                choices=scale,
                default=str(current[c.id]) if c.id in current else None,
                validators=[InputRequired(f"Score {c.name} from 0 to {SCORE_MAX}")],
            ),
        )
    return ScoreForm()


def score_values(form: DecideForm, criteria: Sequence[RubricCriterion]) -> dict[int, int]:
    """Return the submitted scores by criterion id."""
    return {c.id: int(getattr(form, f"criterion_{c.id}").data) for c in criteria}


def _misplaced_ranks(given: dict[str, int]) -> dict[str, str]:
    """Return a message for each rank that repeats another or leaves a gap before it."""
    wrong: dict[str, str] = {}
    seen: set[int] = set()
    for name, rank in sorted(given.items(), key=lambda kv: kv[1]):
        if rank in seen:
            wrong[name] = f"Use each rank once: rank {rank} is given twice"
        elif rank > len(seen) + 1:
            wrong[name] = (
                f"Use each rank once, from 1 with no gaps: rank {len(seen) + 1} is missing"
            )
        seen.add(rank)
    return wrong


def ranking_form(candidates: Sequence[Proposal], current: Sequence[int]) -> DecideForm:
    """Return a form with a rank (or none) for each candidate, filled with the member's ranking."""

    class RankingForm(DecideForm):
        def ranking(self) -> list[int]:
            ranks = {
                c.id: int(getattr(self, f"rank_{c.id}").data)
                for c in candidates
                if getattr(self, f"rank_{c.id}").data
            }
            return [pid for pid, _ in sorted(ranks.items(), key=lambda kv: kv[1])]

        def validate(self, extra_validators: Any = None) -> bool:
            # Each rank is one of the select's choices once the fields validate; read them as
            # numbers only then (a hand-made "²" is refused by its field, never given to int()).
            if not super().validate(extra_validators):
                return False
            fields = [getattr(self, f"rank_{c.id}") for c in candidates]
            given = {f.name: int(f.data) for f in fields if f.data}
            if not given:
                fields[0].errors = ["Rank at least one proposal"]
                return False
            wrong = _misplaced_ranks(given)
            for f in fields:
                if f.name in wrong:
                    f.errors = [wrong[f.name]]
            self._errors = None
            return not wrong

    ranks = options(
        [("", "Not ranked")] + [(str(n), str(n)) for n in range(1, len(candidates) + 1)]
    )
    for c in candidates:
        default = str(current.index(c.id) + 1) if c.id in current else ""
        setattr(
            RankingForm,
            f"rank_{c.id}",
            SelectField(
                f"Rank for {c.title}",
                choices=ranks,
                default=default,
            ),
        )
    return RankingForm()

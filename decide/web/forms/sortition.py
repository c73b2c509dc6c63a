"""Forms of the sortition pages: registering interest, panel size and quotas, seed, replacements."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from decide.models import AGE_BANDS, GENDERS, PARTNER_TYPES
from decide.web.forms.base import DecideForm
from decide.web.forms.fields import bounded_field, options, row_id_or_blank

QUOTAS_MAX_BYTES = 64 * 1024


class InterestForm(DecideForm):
    # Starts on a blank option: a preselected area would register (and count against the area
    # quotas) anyone who never touched the menu as living there.
    area_id = SelectField(
        "Area", coerce=row_id_or_blank, validators=[InputRequired("Choose your area")]
    )
    age_band = RadioField(
        "Age band", choices=options([(a, a) for a in AGE_BANDS]), validate_choice=False
    )
    gender = RadioField("Gender", choices=options(list(GENDERS.items())), validate_choice=False)
    partner_type = RadioField(
        "I would sit as", choices=options(list(PARTNER_TYPES.items())), validate_choice=False
    )
    consent = BooleanField("I consent")

    def extra_answers(self, extra_features: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """Return the answers to the facilitator's extra questions."""
        return {
            f["name"]: str(getattr(self, f"extra_{f['name']}").data or "") for f in extra_features
        }


def interest_form(
    extra_features: Sequence[Mapping[str, Any]], areas: Sequence[Any]
) -> InterestForm:
    """Return the interest form with one radio question per extra feature."""

    class WithExtras(InterestForm):
        pass

    for feature in extra_features:
        setattr(
            WithExtras,
            f"extra_{feature['name']}",
            RadioField(
                feature["label"],
                choices=options([(v, v) for v in feature["values"]]),
                validate_choice=False,
            ),
        )
    form = WithExtras()
    form.area_id.choices = options([("", "Choose your area")] + [(a.id, a.name) for a in areas])
    return form


class PanelSizeForm(DecideForm):
    panel_size = bounded_field("Panel size", minimum=1, maximum=200, example=12, required=True)
    extra = TextAreaField("Extra questions", validators=[Length(max=3000)])

    def extra_features(self) -> list[dict[str, Any]]:
        """Return the extra questions, one a line: ``Question: answer, answer, ...``."""
        features = []
        for line in (self.extra.data or "").splitlines():
            label, _, answers = line.partition(":")
            if not label.strip():
                continue
            name = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")[:40] or "question"
            values = [a.strip()[:60] for a in answers.split(",") if a.strip()]
            features.append({"name": name, "label": label.strip()[:120], "values": values})
        return features

    @staticmethod
    def extra_text(features: Sequence[Mapping[str, Any]]) -> str:
        """Return the extra questions as the text area shows them."""
        return "\n".join(f"{f['label']}: {', '.join(f['values'])}" for f in features)


class QuotasForm(DecideForm):
    quotas = TextAreaField(
        "Quotas (CSV: feature,value,min,max)", validators=[Length(max=QUOTAS_MAX_BYTES)]
    )
    upload = FileField("Or upload a quotas CSV file")


class SeedForm(DecideForm):
    seed = StringField(
        "Seed", validators=[InputRequired("Enter the seed announced in public"), Length(max=200)]
    )


class ReplaceForm(DecideForm):
    dropouts = SelectMultipleField("Who dropped out", validate_choice=False)


__all__ = [
    "InterestForm",
    "PanelSizeForm",
    "QuotasForm",
    "ReplaceForm",
    "SeedForm",
    "interest_form",
]

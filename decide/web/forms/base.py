"""The base form (refuses invisible control characters) and the GOV.UK-style error helpers
that the `_forms.html` macros use: an error summary linking to each field, each message
next to its field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, flash
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    FieldList,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
)

from decide.models.proposal import FEASIBILITY
from decide.services.errors import DomainError, InvalidInput
from decide.services.sanitise import has_control_characters

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


def submit_form(form: Any, action: Callable[[], Any], success: str | Callable[[Any], str]) -> bool:
    """Validate `form`, run the use case and flash its success; return whether it succeeded.

    A refusal (DomainError) is shown beside the field it names, or in the form's summary;
    the caller then renders the form again.
    """
    return bool(form.validate_on_submit()) and apply_form(form, action, success)


def apply_form(form: Any, action: Callable[[], Any], success: str | Callable[[Any], str]) -> bool:
    """Run the use case for a form already checked and flash its success; return whether it
    succeeded. A refusal (DomainError) is shown on the form, as in `submit_form`."""
    try:
        result = action()
    except DomainError as error:
        show_domain_error(form, error)
        return False
    flash(success(result) if callable(success) else success, "success")
    return True


def form_status(form: Any) -> int:
    """Return the status for a page showing `form`: 422 when it carries an error, else 200."""
    return 422 if form.errors or getattr(form, "page_errors", None) else 200


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

"""Form fields for money and counts as people type them, and the choices helper."""

from __future__ import annotations

import re
from typing import Any

from wtforms import (
    Field,
    IntegerField,
)
from wtforms.validators import (
    InputRequired,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import NumberInput, TextInput

from ballots.wording import money_for_input
from decide.services.rounds import MAX_COUNT, MAX_PENCE
from decide.services.sanitise import whole_number

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


def row_id(value: Any) -> int:
    """Coerce a submitted id (of an area, a theme...); one no id column holds is refused."""
    number = int(value)  # a ValueError (also for '²' or thousands of digits) is WTForms' cue
    if not 0 <= number <= MAX_COUNT:
        raise ValueError("Not a valid choice")
    return number


def row_id_or_blank(value: Any) -> int | None:
    """Coerce a submitted id like `row_id`, the blank "Choose..." option to None."""
    return None if value in ("", None) else row_id(value)


class PoundsField(Field):
    """A text input for pounds whose data is integer pence (or None when empty)."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return money_for_input(self.data)

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


def int_field(
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


def bounded_field(
    label: str, *, minimum: int, maximum: int, example: int, required: bool = False
) -> BoundedNumberField:
    """Return a number box for a whole number in a range, with one message naming the range.

    "2.5", "-1", "12a" and numbers out of range all get the same plain message, next to the box.
    """
    message = f"Enter a whole number from {minimum} to {maximum}, like {example}"
    return BoundedNumberField(
        label, message=message, minimum=minimum, maximum=maximum, required=required
    )

"""Refuse values that a column cannot hold, on every database alike.

PostgreSQL refuses a NUL character in any text, a string longer than its ``VARCHAR(n)`` and an
integer outside its column's range; SQLite stores all three. Forms and services check what they
take in and say what is wrong next to the field; these listeners are the net under them. They
raise `ValueDoesNotFit` before the statement runs, so nothing of the flush is written, and a
test on SQLite sees what PostgreSQL would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Integer, SmallInteger, String, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

INT_RANGES = {
    SmallInteger: (-(2**15), 2**15 - 1),
    BigInteger: (-(2**63), 2**63 - 1),
    Integer: (-(2**31), 2**31 - 1),
}
INT32_MAX = 2**31 - 1

__all__ = ["INT32_MAX", "ValueDoesNotFit", "column_problem", "has_nul"]


class ValueDoesNotFit(ValueError):
    """A value that its column cannot store; the message names the column when it is known."""


def has_nul(value: Any) -> bool:
    """Return True when `value` is, or holds, a string with a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


def _int_range(column_type: Any) -> tuple[int, int] | None:
    for kind, bounds in INT_RANGES.items():  # BigInteger before Integer: it is a subclass
        if isinstance(column_type, kind):
            return bounds
    return None


def column_problem(column: Any, value: Any) -> str | None:
    """Return why `column` cannot store `value`, or None when it can."""
    name = column.name.replace("_", " ")
    if isinstance(value, str):
        if "\x00" in value:
            return (
                f"The {name} contains an invisible control character (NUL), which cannot be "
                "stored. Type the text again rather than pasting it"
            )
        length = getattr(column.type, "length", None)
        if isinstance(column.type, String) and length is not None and len(value) > length:
            return f"The {name} must be {length:,} characters or fewer"
    elif isinstance(value, int) and not isinstance(value, bool):
        bounds = _int_range(column.type)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            return f"The {name} must be between {bounds[0]:,} and {bounds[1]:,}"
    return None


def _rows_to_write(session: Session) -> Iterable[Any]:
    yield from session.new
    yield from session.dirty


@event.listens_for(Session, "before_flush")
def _refuse_values_that_do_not_fit(session: Session, flush_context: Any, instances: Any) -> None:
    """Check every new or changed row's loaded column values before anything is written."""
    for obj in _rows_to_write(session):
        state = inspect(obj)
        for prop in state.mapper.column_attrs:
            if prop.key not in state.dict:
                continue  # not loaded, so not changed
            problem = column_problem(prop.columns[0], state.dict[prop.key])
            if problem:
                raise ValueDoesNotFit(problem)


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_nul_parameters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """Refuse a NUL in any text parameter, in a query as in a write (PostgreSQL's rule)."""
    if has_nul(parameters):
        raise ValueDoesNotFit(
            "The form contains an invisible control character (NUL), which cannot be stored "
            "or looked up. Type the text again rather than pasting it"
        )

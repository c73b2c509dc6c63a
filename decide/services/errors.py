"""Domain errors raised by services; the web layer shows their message next to `field`."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses, with a message a person understands.

    `field` names the form field the message belongs next to, or None for the whole form.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The actor may not do this."""


class NotFound(DomainError):
    """A referenced row does not exist."""


class InvalidInput(DomainError):
    """Several fields were refused; `errors` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = dict(errors)

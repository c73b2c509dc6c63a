"""The `decide` command. Every subcommand is also mounted under `flask --app app`.

Each module in COMMAND_MODULES exposes `commands`, a list of click commands. `decide` knows
every subcommand without creating the app, so `decide --help` lists them all even before the
app can start (no secret key yet, say). The app is created when a subcommand that needs it
runs, and its commands run inside the app context, with the same configuration and database
as the web app. The commands in PURE_COMMANDS need neither (`decide allocate FILE.pb` works on
any machine, with no secret key or database).

A database that is missing tables, or that cannot be reached, gets a one-line message saying
what to run, never a traceback.
"""

from __future__ import annotations

import copy
import functools
import importlib
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException, with_appcontext
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, ProgrammingError

COMMAND_MODULES = [
    "decide.cli.rounds",
    "decide.cli.allocate",
    "decide.cli.demo",
    "decide.cli.users",
    "decide.cli.pb",
    "decide.cli.export",
    "decide.cli.sortition",
]
PURE_COMMANDS = ["allocate", "sortition"]


def _with_database_messages(command: click.Command) -> click.Command:
    """Return a copy of `command` that turns database errors into a one-line message."""
    callback = command.callback
    assert callback is not None

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            from decide.cli.database import database_problem

            raise click.ClickException(database_problem(exc)) from None

    wrapped = copy.copy(command)
    wrapped.callback = run
    return wrapped


@functools.cache
def app_commands() -> tuple[click.Command, ...]:
    """Return every subcommand, those that need the app wrapped to run in its context."""
    out = []
    for name in COMMAND_MODULES:
        for command in importlib.import_module(name).commands:
            if command.name not in PURE_COMMANDS:
                command = _with_database_messages(command)
                command.callback = with_appcontext(command.callback)  # type: ignore[type-var]
            out.append(command)
    return tuple(out)


def register_commands(app: Flask) -> None:
    """Mount every subcommand on the app's `flask` command group."""
    for command in app_commands():
        app.cli.add_command(command)


class AppUnavailable(NoAppException):
    """The app cannot start (its configuration is unsafe): one line, exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        """Print the message alone, without the usage lines of a usage error."""
        click.ClickException.show(self, file)


def _create_app() -> Flask:
    from app import create_app
    from decide.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:  # a plain message, not a traceback
        raise AppUnavailable(str(exc)) from None
    except ArgumentError as exc:
        raise AppUnavailable(
            f"DECIDE_DATABASE_URL is not a database address decide can use ({exc}). "
            "Use sqlite:///path/to/decide.db or postgresql+psycopg://user@host/name."
        ) from None
    except ModuleNotFoundError as exc:
        raise AppUnavailable(
            f"The database driver {exc.name!r} is not installed: decide supports SQLite and "
            "PostgreSQL (postgresql+psycopg://…)."
        ) from None


class DecideGroup(FlaskGroup):
    """Flask's command group, listing its subcommands without creating the app."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a database that cannot be used is one line, never a traceback.

        (Our own commands already say so; this covers Flask-Migrate's `db` commands and a file
        that is not a database at all.)
        """
        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
            raise AppUnavailable(
                f"The database cannot be used: {detail or type(exc.orig).__name__}. "
                "Check DECIDE_DATABASE_URL."
            ) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the subcommands' names: ours, `db` and the installed Flask plugins'."""
        self._load_plugin_commands()
        return sorted(self.commands)


@click.group(
    cls=DecideGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def main() -> None:
    """decide: participatory budgeting for community health."""


def _add_commands() -> None:
    from flask_migrate.cli import db as migrations

    for command in app_commands():
        main.add_command(command)
    # Flask-Migrate mounts `db` on the app; here it is known before the app exists.
    main.add_command(migrations, "db")


_add_commands()

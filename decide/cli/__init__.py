"""The `decide` command. Every subcommand is also mounted under `flask --app app`.

Each module in COMMAND_MODULES exposes `commands`, a list of click commands. The commands run
inside the app context, so they use the same configuration and database as the web app. The
commands in PURE_COMMANDS need neither (`decide allocate FILE.pb` works on any machine, with no
secret key or database), so `decide` runs them without creating the app.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException

COMMAND_MODULES = [
    "decide.cli.rounds",
    "decide.cli.allocate",
    "decide.cli.demo",
    "decide.cli.users",
    "decide.cli.pb",
    "decide.cli.export",
]


def register_commands(app: Flask) -> None:
    """Mount every subcommand on the app's `flask` command group."""
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in module.commands:
            app.cli.add_command(command)


def _create_app() -> Flask:
    from app import create_app
    from decide.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:  # a plain message, not a traceback
        raise NoAppException(str(exc)) from None


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def main() -> None:
    """decide: participatory budgeting for community health."""


def _add_pure_commands() -> None:
    from decide.cli.allocate import allocate_command

    main.add_command(allocate_command)


PURE_COMMANDS = ["allocate"]
_add_pure_commands()

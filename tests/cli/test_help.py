"""`decide --help` lists every subcommand, whether or not the app can start."""

from __future__ import annotations

import importlib
import pkgutil
import re
from importlib.metadata import entry_points

import click
from click.testing import CliRunner
from flask.cli import ScriptInfo

import decide.cli
from decide.cli import COMMAND_MODULES, main
from tests.cli.conftest import run_decide
from tests.conftest import _test_config


def _registered_commands() -> set[str]:
    """Return the names the app registers on `flask --app app`, with Flask's plugins."""
    from app import create_app

    app = create_app(_test_config("sqlite://"))
    plugins = {ep.name for ep in entry_points(group="flask.commands")}
    return set(app.cli.commands) | plugins


def _listed(help_text: str) -> set[str]:
    section = help_text.split("Commands:", 1)[1]
    return set(re.findall(r"^  (\S+)", section, flags=re.MULTILINE))


def test_help_lists_every_registered_command_before_the_app_can_start(instance):
    # No secret key anywhere: the app refuses to start, and the help is still complete.
    shown = run_decide(instance, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr == ""
    assert _listed(shown.stdout) == _registered_commands()
    assert {"rounds", "demo", "import-pb", "allocate", "db"} <= _listed(shown.stdout)


def test_every_module_of_commands_is_registered():
    package = decide.cli.__path__
    with_commands = {
        f"decide.cli.{m.name}"
        for m in pkgutil.iter_modules(package)
        if hasattr(importlib.import_module(f"decide.cli.{m.name}"), "commands")
    }
    assert with_commands == set(COMMAND_MODULES)


def _refusing_app() -> None:
    raise AssertionError("the help of a subcommand must not create the app")


def test_every_subcommands_help_works_without_the_app(monkeypatch):
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "")  # restored after: FlaskGroup sets it
    runner = CliRunner()
    for name in main.list_commands(click.Context(main)):
        result = runner.invoke(
            main, [name, "--help"], prog_name="decide", obj=ScriptInfo(create_app=_refusing_app)
        )
        assert result.exit_code == 0, (name, result.output)
        assert result.output.startswith(f"Usage: decide {name} ")

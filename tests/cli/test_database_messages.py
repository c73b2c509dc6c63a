"""`decide` on a database that is empty, half made, behind or out of reach: `decide demo`
migrates an empty one; everything else gets one line saying what to run, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask.cli import ScriptInfo

from decide.cli import main
from tests.cli.conftest import run_decide
from tests.conftest import _test_config


def test_demo_on_a_database_with_no_tables_migrates_then_seeds(keyed_instance):
    seeded = run_decide(keyed_instance, "demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "Traceback" not in seeded.stderr + seeded.stdout
    assert "applying the migrations first" in seeded.stdout
    assert "Demo data seeded" in seeded.stdout
    with sqlite3.connect(keyed_instance / "decide.db") as conn:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        rounds = conn.execute("SELECT count(*) FROM round").fetchone()[0]
    assert revision and rounds >= 1
    again = run_decide(keyed_instance, "demo", "--if-empty")
    assert again.returncode == 0 and "demo not seeded" in again.stdout


def _invoke(monkeypatch: pytest.MonkeyPatch, database: Path | str, *args: str) -> tuple[int, str]:
    """Run `decide ARGS` in this process against `database`; return (exit code, output)."""
    from click.testing import CliRunner

    from app import create_app

    url = database if isinstance(database, str) else f"sqlite:///{database}"
    app = create_app(_test_config(url))
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "")  # restored after: FlaskGroup sets it
    result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
    return result.exit_code, result.output


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output and lines[0].startswith("Error: "), output
    return lines[0]


@pytest.mark.parametrize("command", [["rounds", "--json"], ["accounts"], ["export-pb", "1"]])
def test_commands_on_a_database_with_no_tables_say_what_to_run(monkeypatch, tmp_path, command):
    if command[0] == "export-pb":
        command = [*command, "-o", str(tmp_path / "out.pb")]
    code, output = _invoke(monkeypatch, tmp_path / "empty.db", *command)
    assert code == 1
    line = _one_error_line(output)
    assert "no tables yet" in line and "decide db upgrade" in line


def test_demo_on_a_half_made_database_exits_1_in_one_line(monkeypatch, tmp_path):
    database = tmp_path / "half.db"
    with sqlite3.connect(database) as conn:
        conn.execute('CREATE TABLE "user" (id INTEGER PRIMARY KEY)')
    code, output = _invoke(monkeypatch, database, "demo")
    assert code == 1
    line = _one_error_line(output)
    assert "lacks" in line and "decide db upgrade" in line
    with sqlite3.connect(database) as conn:  # nothing was created or seeded
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"user"}


def test_demo_on_a_database_behind_the_migrations_exits_1_in_one_line(monkeypatch, tmp_path):
    from app import create_app
    from decide.extensions import db

    database = tmp_path / "behind.db"
    app = create_app(_test_config(f"sqlite:///{database}"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('0000_older')")
    code, output = _invoke(monkeypatch, database, "demo")
    assert code == 1
    line = _one_error_line(output)
    assert "0000_older" in line and "decide db upgrade" in line


def test_an_unreachable_database_is_one_line(monkeypatch, tmp_path):
    missing_folder = tmp_path / "no-such-folder" / "decide.db"
    code, output = _invoke(monkeypatch, missing_folder, "demo")
    assert code == 1
    line = _one_error_line(output)
    assert "refused the command" in line and "unable to open database file" in line


def test_decide_rounds_in_a_new_shell_on_an_empty_database(keyed_instance):
    shown = run_decide(keyed_instance, "rounds")
    assert shown.returncode == 1 and shown.stdout == ""
    assert _one_error_line(shown.stderr).endswith("(`make migrate` does it too).")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("garbage", "DECIDE_DATABASE_URL is not a database address decide can use"),
        ("mysql://someone@localhost/decide", "The database driver 'MySQLdb' is not installed"),
        ("NOT-A-DATABASE", "The database cannot be used: file is not a database."),
    ],
)
@pytest.mark.parametrize("command", [("demo",), ("rounds",), ("db", "upgrade")])
def test_an_unusable_database_address_is_one_line_never_a_traceback(
    keyed_instance, url, expected, command
):
    """Found by the outside tester of issue 11: these printed SQLAlchemy tracebacks."""
    import os
    import subprocess

    from tests.cli.conftest import DECIDE, clean_environment

    if url == "NOT-A-DATABASE":
        junk = keyed_instance / "junk.db"
        junk.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
        url = f"sqlite:///{junk}"
    env = {**clean_environment(keyed_instance), "DECIDE_DATABASE_URL": url}
    done = subprocess.run(
        [str(DECIDE), *command], env=env, capture_output=True, text=True, timeout=300,
        check=False, cwd=os.fspath(keyed_instance),
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert expected in output
    assert len(done.stderr.strip().splitlines()) == 1

"""The secret key is found in the instance folder, by the server and by `decide`, with no
variable set; a variable still wins; a bad key file is refused in one line."""

from __future__ import annotations

import pytest

from decide.config import DEFAULT_SECRET_KEY, ConfigError, build_config, check_config
from tests.cli.conftest import run_decide


def test_the_instance_folders_key_is_used_when_no_variable_names_one(keyed_instance):
    cfg = build_config(str(keyed_instance), environ={})
    assert cfg["SECRET_KEY"] == "k" * 64
    check_config(cfg, debug=False)  # not the default: the app may start


def test_a_variable_wins_over_the_instance_folders_key(keyed_instance, tmp_path):
    named = tmp_path / "elsewhere"
    named.write_text("from-the-named-file\n")
    by_value = build_config(str(keyed_instance), environ={"DECIDE_SECRET_KEY": "v" * 40})
    by_file = build_config(str(keyed_instance), environ={"DECIDE_SECRET_KEY_FILE": str(named)})
    assert by_value["SECRET_KEY"] == "v" * 40
    assert by_file["SECRET_KEY"] == "from-the-named-file"


def test_without_any_key_the_default_is_refused(instance):
    cfg = build_config(str(instance), environ={})
    assert cfg["SECRET_KEY"] == DEFAULT_SECRET_KEY
    with pytest.raises(ConfigError, match="secret_key file"):
        check_config(cfg, debug=False)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "does not exist"), ("  \n", "is empty")],
)
def test_a_missing_or_empty_key_file_is_refused_in_one_line(tmp_path, content, expected):
    key = tmp_path / "key"
    if content is not None:
        key.write_text(content)
    with pytest.raises(ConfigError, match=expected) as info:
        build_config(str(tmp_path), environ={"DECIDE_SECRET_KEY_FILE": str(key)})
    assert str(key) in str(info.value) and "\n" not in str(info.value)


def test_an_empty_instance_key_file_is_refused_rather_than_ignored(instance):
    (instance / "secret_key").write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        build_config(str(instance), environ={})


def test_the_server_finds_the_instance_folders_key_with_no_variable(keyed_instance, monkeypatch):
    from app import create_app

    for name in ("DECIDE_SECRET_KEY", "DECIDE_SECRET_KEY_FILE", "DECIDE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DECIDE_INSTANCE_PATH", str(keyed_instance))
    app = create_app()  # `flask --app app run` builds the same app
    assert app.config["SECRET_KEY"] == "k" * 64
    assert not app.debug and not app.config["TESTING"]


def test_decide_in_a_new_shell_finds_the_key_that_make_run_wrote(keyed_instance):
    migrated = run_decide(keyed_instance, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    listed = run_decide(keyed_instance, "rounds", "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "[]"


def test_decide_without_any_key_says_so_in_one_line(instance):
    refused = run_decide(instance, "rounds", "--json")
    assert refused.returncode == 1
    assert refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Refusing to start"), refused.stderr
    assert "secret_key" in lines[0]

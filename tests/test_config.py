"""Configuration: environment variables, and no start with the default secret key."""

from __future__ import annotations

from pathlib import Path

import pytest

from decide.config import DEFAULT_SECRET_KEY, ConfigError, build_config, check_config


def test_environment_variables_override_defaults(tmp_path):
    cfg = build_config(
        str(tmp_path),
        environ={
            "DECIDE_SECRET_KEY": "s" * 40,
            "DECIDE_DATABASE_URL": "postgres://u@db:5432/decide",
            "DECIDE_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert cfg["SECRET_KEY"] == "s" * 40
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db:5432/decide"
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_defaults_are_sqlite_in_the_instance_folder_and_memory_rate_limits(tmp_path):
    cfg = build_config(str(tmp_path), environ={})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/decide.db"
    assert cfg["RATELIMIT_STORAGE_URI"] == "memory://"


def test_secret_key_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file\n")
    cfg = build_config(str(tmp_path), environ={"DECIDE_SECRET_KEY_FILE": str(key_file)})
    assert cfg["SECRET_KEY"] == "from-a-file"


def test_default_secret_key_refused_outside_debug_and_testing(tmp_path):
    cfg = build_config(str(tmp_path), environ={})
    assert cfg["SECRET_KEY"] == DEFAULT_SECRET_KEY
    with pytest.raises(ConfigError, match="default secret key"):
        check_config(cfg, debug=False)
    check_config(cfg, debug=True)
    check_config({**cfg, "TESTING": True}, debug=False)


def test_create_app_refuses_default_key(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.delenv("DECIDE_SECRET_KEY", raising=False)
    monkeypatch.delenv("DECIDE_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("DECIDE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError):
        create_app()


_LOGIN_ATTEMPTS = """
import json, sys
from app import create_app
from decide.extensions import db
config = json.loads(sys.argv[1])
app = create_app(config)
with app.app_context():
    db.create_all()
client = app.test_client()
form = {"email": "nobody@example.org", "password": "wrong-password"}
print(json.dumps([client.post("/login", data=form).status_code for _ in range(int(sys.argv[2]))]))
"""


def _attempts_in_new_process(config: dict[str, object], count: int) -> list[int]:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _LOGIN_ATTEMPTS, json.dumps(config), str(count)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379/15"])
def test_login_rate_limit_across_processes(storage, tmp_path):
    """Separate processes (gunicorn workers) share login limits only through Redis."""
    import uuid

    if storage.startswith("redis"):
        import redis

        try:
            redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
        except Exception:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.db'}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage,
        # A unique key prefix per run so repeated or parallel runs never share counters.
        "RATELIMIT_KEY_PREFIX": f"decide-test-{uuid.uuid4().hex}",
        "LOGIN_RATE_LIMIT": "3 per minute",
    }
    first = _attempts_in_new_process(config, 2)
    second = _attempts_in_new_process(config, 2)
    assert first == [200, 200]
    if storage == "memory://":
        assert second == [200, 200]  # each process counts alone
    else:
        assert second == [200, 429]  # the fourth attempt overall is refused


def test_proxy_count_makes_the_client_address_visible(tmp_path):
    from flask import request

    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "PROXY_COUNT": 1,
        }
    )
    app.add_url_rule("/_addr", "addr", lambda: request.remote_addr or "")
    client = app.test_client()
    response = client.get("/_addr", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.get_data(as_text=True) == "203.0.113.7"

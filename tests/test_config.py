"""Configuration: environment variables, and no start with the default secret key."""

from __future__ import annotations

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


def test_redis_rate_limit_storage_is_shared(monkeypatch, tmp_path):
    """Two app instances (two gunicorn workers) count login attempts in one Redis."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    storage_a = storage_from_string("redis://127.0.0.1:6379/15")
    storage_b = storage_from_string("redis://127.0.0.1:6379/15")
    limit = parse("3 per minute")
    key = f"decide-test-{tmp_path.name}"
    a, b = FixedWindowRateLimiter(storage_a), FixedWindowRateLimiter(storage_b)
    assert a.hit(limit, key) and b.hit(limit, key) and a.hit(limit, key)
    assert not b.hit(limit, key)

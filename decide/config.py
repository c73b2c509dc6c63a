"""Configuration: defaults, then DECIDE_* environment variables, then explicit overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def build_config(
    instance_path: str,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the app configuration from defaults, the environment and overrides."""
    env = os.environ if environ is None else environ
    sqlite_path = Path(instance_path) / "decide.db"
    cfg: dict[str, Any] = {
        "SECRET_KEY": DEFAULT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{sqlite_path}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        "VOTE_RATE_LIMIT": "30 per minute",
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "DEBUG": False,
        "TESTING": False,
        # The server's receipt-signing key (Ed25519, PEM). Created in the instance folder if absent.
        "RECEIPT_KEY_FILE": str(Path(instance_path) / "receipt_key.pem"),
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        # How many proxies in front set X-Forwarded-For/-Proto (0: trust none).
        "PROXY_COUNT": 0,
    }
    mapping = {
        "DECIDE_SECRET_KEY": ("SECRET_KEY", str),
        "DECIDE_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
        "DECIDE_RATELIMIT_STORAGE_URL": ("RATELIMIT_STORAGE_URI", str),
        "DECIDE_RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _bool),
        "DECIDE_LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", str),
        "DECIDE_VOTE_RATE_LIMIT": ("VOTE_RATE_LIMIT", str),
        "DECIDE_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _bool),
        "DECIDE_DEBUG": ("DEBUG", _bool),
        "DECIDE_RECEIPT_KEY_FILE": ("RECEIPT_KEY_FILE", str),
        "DECIDE_PUBLIC_BASE_URL": ("PUBLIC_BASE_URL", str),
        "DECIDE_PROXY_COUNT": ("PROXY_COUNT", int),
    }
    for name, (key, convert) in mapping.items():
        if name in env and env[name] != "":
            cfg[key] = convert(env[name])
    if "DECIDE_SECRET_KEY_FILE" in env and "DECIDE_SECRET_KEY" not in env:
        cfg["SECRET_KEY"] = Path(env["DECIDE_SECRET_KEY_FILE"]).read_text().strip()
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if overrides:
        cfg.update(overrides)
    return cfg


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_config(cfg: Mapping[str, Any], *, debug: bool) -> None:
    """Refuse an unsafe configuration outside debug and testing."""
    if debug or cfg.get("TESTING"):
        return
    if not cfg.get("SECRET_KEY") or cfg["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigError(
            "Refusing to start: the default secret key is only for debug and tests. "
            "Set DECIDE_SECRET_KEY (or DECIDE_SECRET_KEY_FILE) to a long random value."
        )

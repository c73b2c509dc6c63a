"""Configuration: defaults, then DECIDE_* environment variables, then explicit overrides.

The secret key comes from DECIDE_SECRET_KEY, else the file named by DECIDE_SECRET_KEY_FILE,
else the instance folder's `secret_key` file when it exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - refused in production
# Read from the instance folder when no variable names a key (`make run` writes it there).
SECRET_KEY_FILENAME = "secret_key"  # noqa: S105 - a file name, not a key
# The demo's operator: a fictional council, shown (and labelled as the demo's) until the
# DECIDE_OPERATOR_* variables name the real one.
DEMO_OPERATOR = {
    "name": "Northbridge City Council (fictional: the demo's operator)",
    "email": "privacy@northbridge.example",
    "address": "Town Hall, 1 Market Square, Northbridge NB1 1AA (a demo address)",
}


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
        # Every login, registration or reset attempt from one address. A community centre's
        # shared address must still let 100 residents log in within an hour.
        "LOGIN_RATE_LIMIT": "300 per hour",
        # Failed logins: per account from any number of addresses (so 40 addresses cannot
        # guess one password), and per address across accounts.
        "LOGIN_ACCOUNT_FAILURE_LIMIT": "10 per 15 minutes",
        "LOGIN_ADDRESS_FAILURE_LIMIT": "50 per hour",
        # Account e-mails (verification, reset, change of address) to any one address.
        "ACCOUNT_MAIL_LIMIT": "5 per hour;20 per day",
        "VOTE_RATE_LIMIT": "30 per minute",
        # Progress updates with photos (each costs a decode and a re-encode), per address.
        "UPDATE_RATE_LIMIT": "20 per hour",
        # Arguments posted for or against proposals, per signed-in account.
        "ARGUMENT_RATE_LIMIT": "10 per minute",
        # Voter roll details: wrong tries per address, per reference number, and (on the
        # officer's paper page) per officer; every try per address, sized like login so a
        # community centre's shared address lets 100 people vote within an hour. Access codes:
        # wrong codes per address and per round from all addresses; every try per address.
        "ROLL_RATE_LIMIT": "10 per hour",
        "ROLL_ENTRY_RATE_LIMIT": "5 per hour",
        "ROLL_TRY_RATE_LIMIT": "300 per hour",
        "CODE_RATE_LIMIT": "10 per hour",
        "CODE_ROUND_RATE_LIMIT": "300 per hour",
        "CODE_TRY_RATE_LIMIT": "300 per hour",
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
        # Publication jobs report progress every so many ballots, at most once per interval
        # (seconds; 0 reports every chunk).
        # E-mail: with no MAIL_SERVER, messages are written to MAIL_OUTBOX (default
        # instance/outbox/) as .eml files and printed to the console, so a newcomer needs no
        # mail server. Links in messages start with PUBLIC_BASE_URL.
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": "decide <no-reply@decide.invalid>",
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_OUTBOX": str(Path(instance_path) / "outbox"),
        # How long e-mailed links work (seconds).
        "VERIFY_LINK_MAX_AGE": 3 * 24 * 3600,
        "RESET_LINK_MAX_AGE": 3600,
        "PUBLICATION_PROGRESS_CHUNK": 10_000,
        "PUBLICATION_PROGRESS_INTERVAL": 0.5,
        # Who runs this site: named as the data controller in the privacy notice and as the
        # contact in the accessibility statement. The defaults are the demo's fictional council,
        # and the pages say so while the name is the demo's.
        "OPERATOR_NAME": DEMO_OPERATOR["name"],
        "OPERATOR_EMAIL": DEMO_OPERATOR["email"],
        "OPERATOR_ADDRESS": DEMO_OPERATOR["address"],
        # When the accessibility statement was prepared and last reviewed (ISO dates).
        "ACCESSIBILITY_PREPARED": "2026-12-04",
        "ACCESSIBILITY_REVIEWED": "2026-12-04",
        # Equal shares' float screen (decide/allocation/mesfloat.py): on or off, and on how
        # many threads (None: two on a machine with more than one core). Outcomes never
        # depend on these; the allocation package reads no environment variable itself.
        "FLOAT_SCREEN": True,
        "SCREEN_THREADS": None,
    }
    mapping: dict[str, tuple[str, Callable[[str], Any]]] = {
        "DECIDE_SECRET_KEY": ("SECRET_KEY", str),
        "DECIDE_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
        "DECIDE_RATELIMIT_STORAGE_URL": ("RATELIMIT_STORAGE_URI", str),
        "DECIDE_RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _bool),
        "DECIDE_LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", str),
        "DECIDE_VOTE_RATE_LIMIT": ("VOTE_RATE_LIMIT", str),
        "DECIDE_UPDATE_RATE_LIMIT": ("UPDATE_RATE_LIMIT", str),
        "DECIDE_ARGUMENT_RATE_LIMIT": ("ARGUMENT_RATE_LIMIT", str),
        "DECIDE_ROLL_RATE_LIMIT": ("ROLL_RATE_LIMIT", str),
        "DECIDE_ROLL_ENTRY_RATE_LIMIT": ("ROLL_ENTRY_RATE_LIMIT", str),
        "DECIDE_CODE_RATE_LIMIT": ("CODE_RATE_LIMIT", str),
        "DECIDE_CODE_ROUND_RATE_LIMIT": ("CODE_ROUND_RATE_LIMIT", str),
        "DECIDE_ROLL_TRY_RATE_LIMIT": ("ROLL_TRY_RATE_LIMIT", str),
        "DECIDE_CODE_TRY_RATE_LIMIT": ("CODE_TRY_RATE_LIMIT", str),
        "DECIDE_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _bool),
        "DECIDE_DEBUG": ("DEBUG", _bool),
        "DECIDE_RECEIPT_KEY_FILE": ("RECEIPT_KEY_FILE", str),
        "DECIDE_PUBLIC_BASE_URL": ("PUBLIC_BASE_URL", str),
        "DECIDE_PROXY_COUNT": ("PROXY_COUNT", int),
        "DECIDE_LOGIN_ACCOUNT_FAILURE_LIMIT": ("LOGIN_ACCOUNT_FAILURE_LIMIT", str),
        "DECIDE_LOGIN_ADDRESS_FAILURE_LIMIT": ("LOGIN_ADDRESS_FAILURE_LIMIT", str),
        "DECIDE_ACCOUNT_MAIL_LIMIT": ("ACCOUNT_MAIL_LIMIT", str),
        "DECIDE_MAIL_SERVER": ("MAIL_SERVER", str),
        "DECIDE_MAIL_PORT": ("MAIL_PORT", int),
        "DECIDE_MAIL_USERNAME": ("MAIL_USERNAME", str),
        "DECIDE_MAIL_PASSWORD": ("MAIL_PASSWORD", str),
        "DECIDE_MAIL_USE_TLS": ("MAIL_USE_TLS", _bool),
        "DECIDE_MAIL_USE_SSL": ("MAIL_USE_SSL", _bool),
        "DECIDE_MAIL_SENDER": ("MAIL_DEFAULT_SENDER", str),
        "DECIDE_MAIL_OUTBOX": ("MAIL_OUTBOX", str),
        "DECIDE_PUBLICATION_PROGRESS_CHUNK": ("PUBLICATION_PROGRESS_CHUNK", int),
        "DECIDE_PUBLICATION_PROGRESS_INTERVAL": ("PUBLICATION_PROGRESS_INTERVAL", float),
        "DECIDE_OPERATOR_NAME": ("OPERATOR_NAME", str),
        "DECIDE_OPERATOR_EMAIL": ("OPERATOR_EMAIL", str),
        "DECIDE_OPERATOR_ADDRESS": ("OPERATOR_ADDRESS", str),
        "DECIDE_ACCESSIBILITY_PREPARED": ("ACCESSIBILITY_PREPARED", str),
        "DECIDE_ACCESSIBILITY_REVIEWED": ("ACCESSIBILITY_REVIEWED", str),
        "DECIDE_NO_FLOAT_SCREEN": ("FLOAT_SCREEN", lambda value: not _bool(value)),
        "DECIDE_SCREEN_THREADS": ("SCREEN_THREADS", int),
    }
    for name, (key, convert) in mapping.items():
        if name in env and env[name] != "":
            cfg[key] = convert(env[name])
    if not env.get("DECIDE_SECRET_KEY"):
        key_file = secret_key_file(instance_path, env)
        if key_file is not None:
            cfg["SECRET_KEY"] = read_secret_key(key_file)
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if overrides:
        cfg.update(overrides)
    return cfg


def secret_key_file(instance_path: str, environ: Mapping[str, str]) -> Path | None:
    """Return the file that holds the secret key, or None when there is none."""
    # DECIDE_SECRET_KEY_FILE first, else the instance folder's file, so that `flask run`,
    # `decide ...` and the Makefile all find the key that `make run` wrote.
    named = environ.get("DECIDE_SECRET_KEY_FILE", "")
    if named:
        return Path(named)
    default = Path(instance_path) / SECRET_KEY_FILENAME
    return default if default.exists() else None


def read_secret_key(path: Path) -> str:
    """Return the secret key stored in `path`, refusing a missing, unreadable or empty file."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"The secret key file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise ConfigError(f"The secret key file {path} cannot be read: {reason}.") from None
    if not key:
        raise ConfigError(f"The secret key file {path} is empty; put a long random value in it.")
    return key


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
            "Set DECIDE_SECRET_KEY (or DECIDE_SECRET_KEY_FILE) to a long random value, "
            f"or put one in the instance folder's {SECRET_KEY_FILENAME} file (`make run` "
            "writes it)."
        )

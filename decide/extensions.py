"""Flask extensions, created unbound and attached in the app factory with init_app."""

from __future__ import annotations

from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from decide.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
mail = Mail()


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection: Any, connection_record: Any) -> None:
    """Put every SQLite database in write-ahead-log mode."""
    # In SQLite's default journal a reader blocks writers: a publication job reading the
    # ballots with an open cursor could never commit its own progress on another connection
    # ("database is locked"). With the write-ahead log, readers and one writer work at once;
    # writers still take turns, waiting up to the busy timeout (decide.web sets it; pysqlite
    # waits 5 s by default).
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file; in-memory stays "memory"
        # Deleted rows (the sealed envelopes, at close) are overwritten with zeros in the file,
        # not left in free pages (docs/THREATS.md). Per connection, so every connection.
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()

"""Serving: work each process does once, before its first request instead of during it.

Two costs used to fall on the first requests a gunicorn worker served, which on the day
a vote opens are the first voters' casts:

- SQLAlchemy configures the mappers of all 60-odd models at the first ORM query that needs
  them (about 0.15 s quiet, 0.6 s under load). `init_web` now configures them at start-up.
- Jinja compiles each template at its first render. `TEMPLATE_BYTECODE` keeps compiled
  templates for the life of the process, shared by every app the process creates (the
  test suite creates thousands). `warm_up` compiles every template before the worker
  answers; gunicorn calls it through `decide.web.gunicorn_config`.

The bytecode is checked against the template source's checksum on every load (Jinja's
`Bucket`), so an edited template is compiled again, never served stale. Jinja folds a filter
applied to a constant (`{{ 500 | money }}`) into the compiled code, so the key also names
the code of every filter and test the environment has: an app with other filters compiles
its own. Filters must therefore be pure functions of their arguments (decide.web.filters).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from sqlalchemy import text


class ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the life of the process, by template name."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = f"{self.get_cache_key(name, filename)}:{_functions_of(environment)}"
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # refused (left empty) if the checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


def _functions_of(environment: Environment) -> str:
    """Name the code behind the environment's filters and tests (ids: this process only)."""
    parts = []
    for kind, table in (("filter", environment.filters), ("test", environment.tests)):
        for name in sorted(table):
            function = table[name]
            code = getattr(function, "__code__", function)  # one code for every app's lambda
            parts.append(f"{kind}:{name}:{id(code)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


TEMPLATE_BYTECODE = ProcessBytecodeCache()


def warm_up(app: Flask) -> dict[str, Any]:
    """Compile every template and open one database connection; return what was done."""
    env = app.jinja_env
    names = [n for n in env.list_templates() if n.endswith((".html", ".txt"))]
    for name in names:
        env.get_template(name)
    with app.app_context():
        from decide.extensions import db

        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    return {"templates": len(names)}

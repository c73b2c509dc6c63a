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

Creating an app (each worker, each `decide` command, each test) was mostly Werkzeug writing
and compiling Python code for the two URL builders (`url_for`) of each of our 160-odd rules:
about 60 ms. `SharedBuilderRule` keeps the compiled builders for the life of the process,
shared by every app the process creates. A builder's code depends only on what its key names
(the rule's text, its parsed parts including the subdomain or host, its defaults' names); it
reaches the rule's own converters and map through `self` when it runs, so apps with other
converters or configuration build their own URLs. A default that Werkzeug folds into the code
through a converter is never shared. The sharing holds only for the Werkzeug code it was
checked against (`_WERKZEUG_CHECKED`): with any other, each rule compiles its own builders, as
Werkzeug does, and tests/web/test_serving.py fails until the key is checked again.
"""

from __future__ import annotations

import hashlib
import inspect
import threading
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from sqlalchemy import text
from werkzeug.routing import Rule


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


# sha256 of the source of werkzeug.routing.Rule.compile and Rule._compile_builder (Werkzeug
# 3.1.x), read to confirm that a builder's code depends only on `_builder_key`'s inputs.
_WERKZEUG_CHECKED = "254ff4bb078b0d4ee2735661aa26a656d8b8ee7be61b53ab85c76c09355e2678"


def werkzeug_builder_digest() -> str:
    """Return the digest of the Werkzeug code that compiles a rule's builders ("" if unknown)."""
    try:
        source = inspect.getsource(Rule.compile) + inspect.getsource(Rule._compile_builder)
    except (OSError, TypeError):
        return ""
    return hashlib.sha256(source.encode()).hexdigest()


_BUILDERS: dict[Hashable, Callable[..., tuple[str, str]]] = {}
_SHARING = werkzeug_builder_digest() == _WERKZEUG_CHECKED


class SharedBuilderRule(Rule):
    """A URL rule whose compiled builders are shared by every app of the process."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        key = self._builder_key(append_unknown)
        if key is None:
            return super()._compile_builder(append_unknown)
        builder = _BUILDERS.get(key)
        if builder is None:  # two threads may both compile it: the same code, one kept
            builder = _BUILDERS.setdefault(key, super()._compile_builder(append_unknown))
        return builder

    def _builder_key(self, append_unknown: bool) -> Hashable | None:
        """Name everything the builder's code depends on, or None when it must not be shared."""
        defaults = self.defaults or {}
        if not _SHARING or any(dynamic and part in defaults for dynamic, part in self._trace):
            # A default for a variable of the rule is folded in through the rule's converter.
            return None
        return (self.rule, append_unknown, tuple(self._trace), tuple(defaults))

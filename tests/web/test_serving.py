"""Work done once per process before serving: mappers configured, templates compiled once.

See decide.web.serving. These costs used to fall on the first voters' casts after a deploy.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

from flask import Flask
from jinja2 import Environment, FileSystemLoader

from app import create_app
from decide.models import Round
from decide.web import gunicorn_config
from decide.web.serving import TEMPLATE_BYTECODE, ProcessBytecodeCache, warm_up


def test_create_app_configures_every_mapper_before_any_query():
    create_app({"SECRET_KEY": "s" * 40, "TESTING": True})
    assert Round.registry._new_mappers is False


def test_two_apps_share_compiled_templates():
    first = create_app({"SECRET_KEY": "s" * 40, "TESTING": True})
    second = create_app({"SECRET_KEY": "s" * 40, "TESTING": True})
    assert first.jinja_env.bytecode_cache is second.jinja_env.bytecode_cache is TEMPLATE_BYTECODE
    TEMPLATE_BYTECODE.clear()
    first.jinja_env.get_template("error.html")
    assert len(TEMPLATE_BYTECODE._code) == 1
    [(key, stored)] = TEMPLATE_BYTECODE._code.items()
    second.jinja_env.get_template("error.html")  # loaded from the bytes, not compiled again
    assert TEMPLATE_BYTECODE._code == {key: stored}


def test_shared_bytecode_looks_up_each_environments_own_filters(tmp_path):
    cache = ProcessBytecodeCache()
    (tmp_path / "page.html").write_text("{{ 5 | money }}")
    # Jinja folds `5 | money` into the compiled code with the compiling environment's filter.
    one = Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=cache, autoescape=True)
    one.filters["money"] = lambda pence: f"one {pence}"
    two = Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=cache, autoescape=True)
    two.filters["money"] = lambda pence: f"two {pence}"
    assert one.get_template("page.html").render() == "one 5"
    assert two.get_template("page.html").render() == "two 5"
    assert len(cache._code) == 2  # one compiled template for each set of filters


def test_an_edited_template_is_compiled_again_not_served_from_the_cache(tmp_path):
    cache = ProcessBytecodeCache()
    (tmp_path / "page.html").write_text("first {{ x }}")
    env = Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=cache, autoescape=True)
    assert env.get_template("page.html").render(x=1) == "first 1"
    assert len(cache._code) == 1
    (tmp_path / "page.html").write_text("second {{ x }}")
    fresh = Environment(
        loader=FileSystemLoader(str(tmp_path)), bytecode_cache=cache, autoescape=True
    )
    assert fresh.get_template("page.html").render(x=2) == "second 2"


def test_warm_up_compiles_every_template_and_reaches_the_database(app: Flask):
    names = [n for n in app.jinja_env.list_templates() if n.endswith((".html", ".txt"))]
    TEMPLATE_BYTECODE.clear()
    app.jinja_env.cache.clear()
    done = warm_up(app)
    assert done["templates"] == len(names) > 100
    assert len(TEMPLATE_BYTECODE._code) == len(names)


def test_gunicorn_hook_warms_the_worker_and_says_so(app: Flask, caplog):
    app.jinja_env.cache.clear()
    worker = SimpleNamespace(wsgi=app, pid=4242, log=logging.getLogger("gunicorn-test"))
    with caplog.at_level(logging.INFO, logger="gunicorn-test"):
        gunicorn_config.post_worker_init(worker)
    assert "worker 4242 warmed" in caplog.text
    assert len(app.jinja_env.cache) > 100

"""Work done once per process before serving: mappers configured, templates compiled once.

See decide.web.serving. These costs used to fall on the first voters' casts after a deploy.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

from flask import Blueprint, Flask, url_for
from jinja2 import Environment, FileSystemLoader
from werkzeug.routing import BaseConverter, Rule

from app import create_app
from decide.models import Round
from decide.web import RowNumberConverter, gunicorn_config, serving
from decide.web.serving import (
    TEMPLATE_BYTECODE,
    ProcessBytecodeCache,
    SharedBuilderRule,
    warm_up,
    werkzeug_builder_digest,
)


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


# --- URL builders compiled once per process ----------------------------------------------------


def test_werkzeug_compiles_builders_as_when_the_sharing_was_checked():
    # A new Werkzeug may compile builders from more than the rule's text, parts and defaults'
    # names (say, from the map's configuration): read Rule.compile and Rule._compile_builder,
    # make SharedBuilderRule._builder_key name every input, then record the new digest. Until
    # then SharedBuilderRule compiles every rule itself, as Werkzeug does.
    assert werkzeug_builder_digest() == serving._WERKZEUG_CHECKED, (
        "werkzeug.routing.Rule's builder compilation changed: check decide.web.serving"
    )
    assert serving._SHARING


def test_two_apps_share_compiled_url_builders_and_each_still_builds_and_routes():
    first = create_app({"SECRET_KEY": "s" * 40, "TESTING": True})
    second = create_app(
        {
            "SECRET_KEY": "s" * 40,
            "TESTING": True,
            "SERVER_NAME": "vote.example.org:8443",
            "PREFERRED_URL_SCHEME": "https",
        }
    )
    pairs = list(zip(first.url_map.iter_rules(), second.url_map.iter_rules(), strict=True))
    assert len(pairs) > 100
    for one, two in pairs:
        assert one.rule == two.rule
        if one.endpoint != "static":  # Flask adds the static rule before init_web
            assert isinstance(one, SharedBuilderRule)
            assert one._build.__func__ is two._build.__func__
            assert one._build_unknown.__func__ is two._build_unknown.__func__
        assert one._build.__self__ is one and two._build.__self__ is two
    with first.test_request_context("/"):
        assert url_for("main.healthz") == "/healthz"
        assert url_for("assets.show", slug="a b", page=2) == "/organisations/a%20b?page=2"
        assert url_for("main.healthz", _external=True) == "http://localhost/healthz"
    with second.app_context():
        assert url_for("assets.show", slug="x") == "https://vote.example.org:8443/organisations/x"
    assert first.test_client().get("/healthz").status_code == 200
    assert (
        second.test_client().get("/healthz", base_url="https://vote.example.org:8443").status_code
        == 200
    )
    # Each rule keeps its own app's converters, which the shared builder calls.
    [remove] = [r for r in first.url_map.iter_rules() if r.endpoint == "assets.remove_member"]
    assert isinstance(remove._converters["membership_id"], RowNumberConverter)
    assert remove._converters["membership_id"].map is first.url_map


class _Padded(BaseConverter):
    """Numbers written with four digits: the same rule text builds other URLs in this app."""

    regex = r"\d{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:04d}"


def _blueprint() -> Blueprint:
    bp = Blueprint("pages", __name__)

    @bp.route("/page/<int:number>")
    def page(number: int, org: str = "") -> str:
        return f"page {number} of {org or 'nobody'}"

    @bp.route("/list", defaults={"sort": "name"})
    @bp.route("/list/<sort>")
    def listing(sort: str, org: str = "") -> str:
        return f"list by {sort}"

    return bp


def _apps(rule_class: type[Rule]) -> list[Flask]:
    """Apps with the same blueprint under other configurations: subdomain, prefix, converter."""
    by_org = Flask("by_org", subdomain_matching=True)
    by_org.config["SERVER_NAME"] = "decide.test"
    padded = Flask("padded")
    padded.url_map.converters["int"] = _Padded
    padded.url_map.merge_slashes = False
    merged = Flask("merged")  # the same rule text as `padded`: slashes merged, plain numbers
    for app in (by_org, padded, merged):
        app.url_rule_class = rule_class
    by_org.register_blueprint(_blueprint(), subdomain="<org>", url_prefix="/pb")
    padded.register_blueprint(_blueprint(), url_prefix="/a//b")
    merged.register_blueprint(_blueprint(), url_prefix="/a//b")
    return [by_org, padded, merged]


def _what_each_builds_and_serves(apps: list[Flask]) -> list[str]:
    done = []
    for app in apps:
        org = {"org": "riverside"} if app.name == "by_org" else {}
        with app.app_context() if org else app.test_request_context("/"):
            done += [
                url_for("pages.page", number=7, **org),
                url_for("pages.page", number=12, q="a b", _anchor="top", **org),
                url_for("pages.listing", **org),
                url_for("pages.listing", sort="cost", **org),
            ]
        client = app.test_client()
        base = "http://riverside.decide.test" if org else "http://localhost"
        for path in ("/pb/page/7", "/a//b/page/0007", "/a//b/page/7", "/a/b/list"):
            response = client.get(path, base_url=base)
            shown = {200: response.text, 308: response.location}.get(response.status_code, "")
            done.append(f"{path} {response.status_code} {shown}".strip())
    return done


def test_shared_builders_build_what_werkzeug_builds_under_other_configurations():
    expected = _what_each_builds_and_serves(_apps(Rule))
    assert expected == [
        "http://riverside.decide.test/pb/page/7",
        "http://riverside.decide.test/pb/page/12?q=a+b#top",
        "http://riverside.decide.test/pb/list",
        "http://riverside.decide.test/pb/list/cost",
        "/pb/page/7 200 page 7 of riverside",
        "/a//b/page/0007 404",
        "/a//b/page/7 404",
        "/a/b/list 404",
        # padded: four-digit numbers, slashes kept
        "/a//b/page/0007",
        "/a//b/page/0012?q=a+b#top",
        "/a//b/list",
        "/a//b/list/cost",
        "/pb/page/7 404",
        "/a//b/page/0007 200 page 7 of nobody",
        "/a//b/page/7 404",
        "/a/b/list 404",
        # merged: the same rules as padded, with Werkzeug's numbers and merged slashes
        "/a/b/page/7",
        "/a/b/page/12?q=a+b#top",
        "/a/b/list",
        "/a/b/list/cost",
        "/pb/page/7 404",
        "/a//b/page/0007 308 http://localhost/a/b/page/0007",
        "/a//b/page/7 308 http://localhost/a/b/page/7",
        "/a/b/list 200 list by name",
    ]
    assert _what_each_builds_and_serves(_apps(SharedBuilderRule)) == expected
    # Again, now from the builders in the process cache.
    assert _what_each_builds_and_serves(_apps(SharedBuilderRule)) == expected


def test_a_default_folded_into_the_builder_is_never_shared():
    app = Flask("folded")
    app.url_rule_class = SharedBuilderRule
    app.add_url_rule("/n/<int:n>", "n", lambda n: str(n), defaults={"n": 5})
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "n")
    assert rule._builder_key(True) is None
    with app.test_request_context("/"):
        assert url_for("n") == "/n/5"

"""The web layer: extensions, security headers, error pages and blueprints."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import configure_mappers
from werkzeug.routing import IntegerConverter, ValidationError

from decide.models.limits import INT32_MAX, ValueDoesNotFit
from decide.web.caching import no_store

# One blueprint per area; each module exposes `bp`. Order matters only for url_prefix clashes.
BLUEPRINT_MODULES = [
    "decide.web.main",
    "decide.web.auth",
    "decide.web.assets",
    "decide.web.rounds",
    "decide.web.proposals",
    "decide.web.review",
    "decide.web.voting",
    "decide.web.board",
    "decide.web.eligibility",
    "decide.web.paper",
    "decide.web.publication",
    "decide.web.ledger",
    "decide.web.auditor",
    "decide.web.results",
    "decide.web.postcodes",
    "decide.web.tasks",
    "decide.web.deliberation",
    "decide.web.sortition",
    "decide.web.delivery",
    "decide.web.learning",
    "decide.web.opendata",
]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class RowNumberConverter(IntegerConverter):
    """`<int:...>` in our URLs: an id or number that fits an INTEGER column, else a 404.

    Werkzeug's own converter takes any length of digits; a 30-digit id then reaches the
    database, where SQLite cannot even bind it (OverflowError, a 500).
    """

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = INT32_MAX, signed: bool = False) -> None:  # fmt: skip
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(INT32_MAX)):  # int() refuses thousands of digits outright
            raise ValidationError()
        return super().to_python(value)


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    """Turn on foreign keys (and a busy timeout) for every SQLite connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def init_web(app: Flask) -> None:
    """Attach extensions and blueprints to the app."""
    from decide.extensions import csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"

    import decide.models  # noqa: F401 - registers every table on the metadata
    from decide.models import User
    from decide.web.serving import TEMPLATE_BYTECODE, SharedBuilderRule

    # Once per process, here rather than at the first query that needs it (a voter's cast).
    configure_mappers()
    app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
    app.url_rule_class = SharedBuilderRule  # URL builders compiled once per process

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        # A session counts only while its row exists (decide.web.auth): logging out deletes
        # it, so a copied cookie stops working.
        from decide.web.auth import user_of_this_session

        return user_of_this_session(user_id)

    app.url_map.converters["int"] = RowNumberConverter
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)

    app.after_request(_security_headers)
    app.after_request(no_store)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(ValueDoesNotFit, _value_does_not_fit)
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)

    from decide.web import filters

    filters.register(app)


def _root() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
    )
    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
        )
    if "HX-Request" in request.headers or response.headers.get("Content-Type", "").startswith(
        "text/html"
    ):
        response.vary.add("HX-Request")
    return response


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return (
        render_template(
            "error.html",
            code=400,
            title="Your form expired",
            message="This form was missing its security token or it had expired. "
            "Go back, reload the page and try again.",
        ),
        400,
    )


def _value_does_not_fit(error: Exception) -> tuple[str, int]:
    # The net under the forms' own checks (decide.models.limits): nothing of it was written.
    from decide.extensions import db
    from decide.services.unit_of_work import discard

    discard(db.session)
    return (
        render_template(
            "error.html",
            code=400,
            title="This could not be saved",
            message=f"{str(error).rstrip('.')}. Nothing was saved.",
        ),
        400,
    )


_ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood."),
    403: (
        "Not allowed",
        "You do not have permission to see or do this. If you think you should, sign in with "
        "the account that has it, or ask the round's facilitator.",
    ),
    404: ("Page not found", "There is no page at this address."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    413: ("Too large", "The upload is larger than we accept."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error happened. Nothing was saved."),
}


def _error_page(error: Any) -> tuple[str, int]:
    code = getattr(error, "code", 500) or 500
    title, message = _ERROR_TEXT.get(code, ("Error", "Something went wrong."))
    description = getattr(error, "description", None)
    # Werkzeug's own wording ("…read-protected or not readable by the server") is not ours: a
    # description is shown only when a view gave its own.
    own = isinstance(description, str) and description != getattr(type(error), "description", None)
    if code in (400, 403) and own and not str(description).startswith("The "):
        message = str(description)
    elif code == 429 and isinstance(description, str) and not description[:1].isdigit():
        message = description  # a limit's own words (not the bare "10 per 1 hour")
    return render_template("error.html", code=code, title=title, message=message), code

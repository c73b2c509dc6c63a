"""Template filters and globals: money, counts, rule names, dates, Markdown (sanitised).

Money and counts are written by `ballots.wording`, the one formatter for pages, messages and
printed documents; rule and tie-break names come from `decide.allocation.names`.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import nh3
from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

from audits.chain import tracker_code, tracker_code_full
from ballots import wording
from decide.allocation.names import RULE_SHORT_NAMES, rule_name, tie_break_name
from decide.services.accounts import POSTCODE_EXAMPLE

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip


def money(pence: int | Fraction | None, currency: str = "GBP") -> str:
    """Format integer pence as pounds, e.g. 123456 -> '£1,234.56' (ballots.wording.money)."""
    return wording.money(pence, currency)


def plural(n: int, one: str, many: str | None = None) -> str:
    """Write a count with its noun in agreement, e.g. `{{ n|plural("ballot") }}`."""
    return wording.plural(n, one, many)


def render_markdown(text: str | None) -> Markup:
    """Render user Markdown to HTML with raw HTML disabled and the output sanitised."""
    html = _markdown.render(text or "")
    # Headings in user text start at h3 so they never compete with the page's own headings.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def long_date(value: dt.date | dt.datetime | None) -> str:
    """Format a date like '3 March 2027'."""
    if value is None:
        return "to be announced"
    return f"{value.day} {value.strftime('%B %Y')}"


def long_datetime(value: dt.datetime | str | None) -> str:
    """Format a time (or its ISO text, as minutes store it) like '8 December 2026, 18:30'."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value  # not ours to reinterpret: show it as recorded
    if value is None:
        return "to be announced"
    return f"{long_date(value)}, {value.strftime('%H:%M')}"


def register(app: Flask) -> None:
    """Register the filters on the app's Jinja environment."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["number"] = wording.number
    app.jinja_env.filters["rule_name"] = rule_name
    app.jinja_env.filters["rule_short"] = lambda rule: RULE_SHORT_NAMES.get(rule, rule_name(rule))
    app.jinja_env.filters["tie_break_name"] = tie_break_name
    app.jinja_env.filters["tracker_code"] = tracker_code
    app.jinja_env.filters["tracker_code_full"] = tracker_code_full
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["long_datetime"] = long_datetime
    app.jinja_env.globals["HTMX_SRC"] = "vendor/htmx-2.0.11.min.js"
    app.jinja_env.globals["POSTCODE_EXAMPLE"] = POSTCODE_EXAMPLE

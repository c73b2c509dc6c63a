"""Template filters and globals: money, dates, Markdown (sanitised)."""

from __future__ import annotations

import datetime as dt

import nh3
from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip


def money(pence: int | None, currency: str = "GBP") -> str:
    """Format integer pence as pounds, e.g. 123456 -> '£1,234.56'."""
    if pence is None:
        return "–"
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(int(pence)), 100)
    symbol = {"GBP": "£", "EUR": "€"}.get(currency, "")
    return f"{sign}{symbol}{pounds:,}.{rem:02d}"


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


def register(app: Flask) -> None:
    """Register the filters on the app's Jinja environment."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.globals["HTMX_SRC"] = "vendor/htmx-2.0.11.min.js"

"""Clean user-written Markdown before it is stored."""

from __future__ import annotations

import html

import nh3


def strip_raw_html(markdown: str) -> str:
    """Remove raw HTML (tags, and the content of script and style) from Markdown source.

    Markdown syntax survives: nh3 escapes the characters it keeps (``>`` at the start of a
    quote, ``&``, ``<`` in prose), and unescaping restores them. The rendered page is
    sanitised again (decide.web.filters.render_markdown), so stored text is never trusted.
    """
    cleaned = nh3.clean(markdown, tags=set(), clean_content_tags={"script", "style"})
    return html.unescape(cleaned)

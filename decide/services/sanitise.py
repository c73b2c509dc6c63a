"""Clean user-written Markdown before it is stored; spot invisible control characters."""

from __future__ import annotations

import html
import re
from typing import Any

import nh3

# Invisible control characters (C0 and C1, but not tab, line feed and carriage return). They
# arrive with pasted binary or hostile posts, and PostgreSQL cannot store a NUL at all.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(values: Any) -> bool:
    """Return True when a text (or any text in a list of them) holds a control character."""
    if isinstance(values, str):
        return _CONTROL_CHARACTERS.search(values) is not None
    if isinstance(values, (list, tuple)):
        return any(has_control_characters(v) for v in values)
    return False


def strip_raw_html(markdown: str) -> str:
    """Remove raw HTML (tags, and the content of script and style) from Markdown source.

    Markdown syntax survives: nh3 escapes the characters it keeps (``>`` at the start of a
    quote, ``&``, ``<`` in prose), and unescaping restores them. The rendered page is
    sanitised again (decide.web.filters.render_markdown), so stored text is never trusted.
    """
    cleaned = nh3.clean(markdown, tags=set(), clean_content_tags={"script", "style"})
    return html.unescape(cleaned)


def whole_number(text: str | None, *, maximum: int) -> int | None:
    """Return `text` as a whole number from 0 to `maximum`, else None.

    Only ASCII digits count: ``str.isdigit`` is also true for '²', which int() refuses, and
    int() refuses thousands of digits too; both would otherwise escape as a ValueError.
    """
    s = (text or "").strip()
    if not (s.isascii() and s.isdigit()) or len(s) > len(str(maximum)):
        return None
    value = int(s)
    return value if value <= maximum else None

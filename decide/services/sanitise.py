"""Clean user-written Markdown before it is stored; spot invisible control characters."""

from __future__ import annotations

import html
import re
from typing import Any

import nh3

# Invisible control characters (C0 and C1, but not tab, line feed and carriage return). They
# arrive with pasted binary or hostile posts, and PostgreSQL cannot store a NUL at all.
# Noncharacters (U+FDD0 to U+FDEF, and the last two code points of every plane) and lone
# surrogates are refused too: XML 1.0 cannot carry them, so they would break the Atom feed.
_NONCHARACTERS = "\ufdd0-\ufdef\ud800-\udfff" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_CONTROL_CHARACTERS = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{_NONCHARACTERS}]")
# What XML 1.0 cannot hold at all (C1 controls are allowed there, only discouraged).
_NOT_IN_XML = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f{_NONCHARACTERS}]")


def has_control_characters(values: Any) -> bool:
    """Return True when a text (or any text in a list of them) holds a control character."""
    if isinstance(values, str):
        return _CONTROL_CHARACTERS.search(values) is not None
    if isinstance(values, (list, tuple)):
        return any(has_control_characters(v) for v in values)
    return False


# Characters that show nothing: zero-width space, non-joiner and joiner, word joiner and the
# byte-order mark (str.isspace already covers spaces, tabs, line ends and no-break spaces).
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def visible_text(text: str) -> str:
    """Return `text` stripped, or "" when it has no visible character at all (only
    whitespace, no-break spaces or zero-width characters): such a text counts as empty."""
    stripped = text.strip()
    if all(ch.isspace() or ch in _INVISIBLE for ch in stripped):
        return ""
    return stripped


def xml_safe(text: str) -> str:
    """Return `text` without the characters XML 1.0 cannot carry (defence in depth: forms
    refuse them already, but a row written another way must not break a feed)."""
    return _NOT_IN_XML.sub("", text)


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

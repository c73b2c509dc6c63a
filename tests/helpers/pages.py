"""Reading what a page carries: the value of a hidden form field."""

from __future__ import annotations

import html
import re


def hidden(page: str, name: str) -> str:
    """Return the (unescaped) value of the hidden field `name` on the page."""
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))

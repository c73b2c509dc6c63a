"""Helpers that read the deliberation and sortition pages as a person sees them."""

from __future__ import annotations

import re

_GROUP = re.compile(r'class="field(?=[" ])')


def main(html: str) -> str:
    """Return the page's main content."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def field_group(html: str, field_id: str) -> str:
    """Return the field group (label, hint, error and input) holding the element `field_id`."""
    at = html.index(f'id="{field_id}"')
    groups = [m.start() for m in _GROUP.finditer(html)]
    start = max(g for g in groups if g < at)
    end = min((g for g in groups if g > at), default=len(html))
    return html[start:end]


def summary(html: str) -> str:
    """Return the error summary at the top of the page."""
    return html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]


def assert_next_to(html: str, field_id: str, message: str) -> None:
    """Assert `message` is shown in the field's own group, tied to it, and linked from the top."""
    group = field_group(html, field_id)
    assert message in group, group
    assert re.search(rf'aria-describedby="[^"]*\b{re.escape(field_id)}-error"', group), group
    assert f'href="#{field_id}' in summary(html)

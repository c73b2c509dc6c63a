"""Access rules for a panel member's workspace (see decide.web.tasks)."""

from __future__ import annotations

from tests.web.access import SIGNED_IN, Access

RULES = [
    # Anyone signed in may look; the page lists only their own tasks (tests/web/test_tasks.py).
    Access("tasks.index", "GET", lambda w: "/tasks", SIGNED_IN),
]

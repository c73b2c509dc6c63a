"""The panel's sessions: agendas, documents, attendance, conflicts, scores, the shortlist vote
and the minutes; arguments for and against proposals, with moderation.

One blueprint, `bp`, its views split by area; importing the view modules registers their routes.
"""

from __future__ import annotations

from decide.web.deliberation import argument_views, session_views, shortlist_views
from decide.web.deliberation.common import bp

__all__ = ["argument_views", "bp", "session_views", "shortlist_views"]

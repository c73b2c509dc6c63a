"""Delivery of funded projects: the public "where did the money go" pages, what delivering
organisations report (updates with photos, impact figures, stories), and what facilitators
manage (milestones and their confirmation, the outcome framework, the retrospective).

One blueprint, `bp`; importing the view modules registers their routes.
"""

from __future__ import annotations

from decide.web.delivery import manage_views, public_views, report_views
from decide.web.delivery.common import bp

__all__ = ["bp", "manage_views", "public_views", "report_views"]

"""Row counts of every table, so that "nothing was saved" covers the whole database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select


def table_counts(db: Any) -> dict[str, int]:
    """Return the number of rows in every table."""
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }

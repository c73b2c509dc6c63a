"""Readable, unique URL slugs."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

# Path words that a slug must not take, because a route uses them (e.g. /organisations/new).
RESERVED = {"new", "edit", "manage"}


def slugify(text: str, max_length: int = 80) -> str:
    """Return a lower-case ASCII slug such as 'healthy-hearts-2027'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def unique_slug(session: Session, model: Any, text: str, *, exclude_id: int | None = None) -> str:
    """Return a slug for `text` that no other row of `model` uses."""
    base = slugify(text)
    taken = set(session.scalars(select(model.slug).where(model.slug.like(f"{base}%"))))
    if exclude_id is not None:
        own = session.scalar(select(model.slug).where(model.id == exclude_id))
        taken.discard(own)
    taken |= RESERVED
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug

"""Helpers every view uses to enforce its permission check on the server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_login import current_user

from decide.extensions import db, login_manager
from decide.models import Round
from decide.services import permissions as can


def require(allowed: bool) -> None:
    """Stop the request unless allowed: anonymous users go to log in, others get 403."""
    if allowed:
        return
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)


def viewable_round(round_id: int) -> Round:
    """Return the round if the current user may see it (drafts: facilitators only)."""
    rnd = db.get_or_404(Round, round_id)
    require(can.can_view_round(current_user, rnd))
    return rnd


def public_round(round_id: int) -> Round:
    """Return a round past its draft, or 404: voting and board pages never show a draft."""
    return shown_publicly(db.session.get(Round, round_id))


def shown_publicly(rnd: Round | None) -> Round:
    """Return the round if it is past its draft, else 404 (for a round already read)."""
    if rnd is None or rnd.phase.is_draft:
        abort(404)
    return rnd


def receipt_key() -> Any:
    """Return the server's receipt-signing key (created on first use)."""
    from decide.services.voting import load_server_key

    return load_server_key(current_app.config["RECEIPT_KEY_FILE"])


def safe_next(target: str | None, default: str) -> str:
    """Return `target` when it is a path on this site, else `default` (no open redirects)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return default
    return target


def wants_fragment() -> bool:
    """Return True for htmx requests, which get a fragment instead of a full page.

    A history restore (the back button after hx-push-url, with the page no longer in
    htmx's cache) also sends HX-Request, but needs the full page.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )

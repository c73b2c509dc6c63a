"""Pages that must not be kept by a browser or a shared cache: signed-in pages and receipts.

A receipt page shows a tracker; a signed-in page shows a person's own details. On a shared
computer the back button, or a proxy's cache, must not show them to the next person, so these
responses say `Cache-Control: no-store`.
"""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

# Pages that show a receipt, whoever asks for them.
RECEIPT_ENDPOINTS = frozenset(
    {
        "voting.cast",
        "voting.receipt_again",
        "paper.enter",
        "board.check",
        "publication.counted",
        "results.my_ballot",
    }
)


def no_store(response: Response) -> Response:
    """Add `Cache-Control: no-store` to signed-in pages and receipt pages."""
    if request.endpoint == "static":
        return response
    signed_in = bool(getattr(current_user, "is_authenticated", False))
    if signed_in or request.endpoint in RECEIPT_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response

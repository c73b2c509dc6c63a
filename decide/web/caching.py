"""Pages that must not be kept by a browser or a shared cache: signed-in pages, receipts and
every page of voting and paper-ballot entry.

A receipt page shows a tracker; a signed-in page shows a person's own details. On a shared
computer the back button, or a proxy's cache, must not show them to the next person, so these
responses say `Cache-Control: no-store`.
"""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

# Every page of these blueprints: a ballot, its check page, the identify pages and the
# officer's entry show who votes and how, signed in or not (a code or roll voter is not).
NO_STORE_BLUEPRINTS = frozenset({"voting", "paper"})

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
    """Add `Cache-Control: no-store` to signed-in, voting, paper-ballot and receipt pages."""
    if request.endpoint == "static":
        return response
    signed_in = bool(getattr(current_user, "is_authenticated", False))
    voting_page = request.blueprint in NO_STORE_BLUEPRINTS
    if signed_in or voting_page or request.endpoint in RECEIPT_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response

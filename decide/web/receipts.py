"""The receipt page, shown in the response to the POST that made or fetched a receipt."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from flask import Response, render_template

from audits.chain import tracker_code, tracker_code_full
from decide.models import Round


@dataclass(frozen=True)
class RoundHeading:
    """The round as a receipt page names it."""

    id: int
    title: str


def receipt_page(
    rnd: Round | RoundHeading, signed: Any, template: str = "voting/receipt.html"
) -> Response:
    """Render a receipt in the response to the POST that made or fetched it.

    The tracker never appears in a URL (path or query), so no access log holds it, and the
    page is not stored by the browser or any cache.
    """
    r = signed.receipt
    body = render_template(
        template,
        rnd=rnd,
        signed=signed,
        r=r,
        short_code=tracker_code(r.tracker),
        full_code=tracker_code_full(r.tracker),
        receipt_data=base64.b64encode(signed.to_json()).decode("ascii"),
    )
    response = Response(body, 200)
    response.headers["Cache-Control"] = "no-store"
    return response

"""Access rules for the sortition pages (issue 15, part 1).

Anyone signed in may register interest in a visible round's panel and withdraw their own
registration; only facilitators set the panel size and quotas, see the pool, compute the
lottery, record the seed, draw and replace; the record and RECORD.json are public once the
round leaves draft.
"""

from __future__ import annotations

from typing import Any

from decide.services import sortition
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.access import FACILITATOR_ONLY, PUBLIC, SIGNED_IN, Access, only
from tests.web.world import make_round


def _drawn(w: Any) -> int:
    """Build (once per world) a round whose panel has been drawn; return its id."""
    if hasattr(w, "_drawn_round"):
        return w._drawn_round
    db = w.session
    rnd = make_round(db, "Drawn round", "proposals")
    rnd.areas = w.areas
    db.commit()
    fill_pool(db, w, rnd, 8)
    sortition.set_panel(db, rnd, 3)
    sortition.set_quotas(db, rnd, small_quotas(3))
    sortition.compute_lottery(db, rnd)
    sortition.announce_seed(db, rnd, "seed read out in public")
    sortition.draw_panel(db, rnd)
    w._drawn_round = rnd.id
    return rnd.id


def _on(name: str) -> Any:
    return lambda w: f"/rounds/{w.round.id}/panel/{name}"


RULES = [
    Access("sortition.volunteer", "GET", _on("volunteer"), SIGNED_IN),
    Access("sortition.volunteer", "POST", _on("volunteer"), SIGNED_IN),
    Access("sortition.withdraw", "POST", _on("volunteer/withdraw"), SIGNED_IN),
    Access(
        "sortition.volunteer",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/panel/volunteer",
        only("facilitator"),
        note="draft",
    ),
    Access("sortition.manage", "GET", _on("sortition"), FACILITATOR_ONLY),
    Access("sortition.panel_size", "POST", _on("size"), FACILITATOR_ONLY),
    Access("sortition.quotas", "POST", _on("quotas"), FACILITATOR_ONLY),
    Access("sortition.lottery", "POST", _on("lottery"), FACILITATOR_ONLY),
    Access("sortition.seed", "POST", _on("seed"), FACILITATOR_ONLY),
    Access("sortition.draw", "POST", _on("draw"), FACILITATOR_ONLY),
    Access("sortition.replacement_seed", "POST", _on("replacement-seed"), FACILITATOR_ONLY),
    Access("sortition.replace", "POST", _on("replace"), FACILITATOR_ONLY),
    Access("sortition.record", "GET", lambda w: f"/rounds/{_drawn(w)}/panel/record", PUBLIC),
    Access(
        "sortition.record_json", "GET", lambda w: f"/rounds/{_drawn(w)}/panel/RECORD.json", PUBLIC
    ),
    Access(
        "sortition.record",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/panel/record",
        only("facilitator"),
        note="draft",
    ),
]

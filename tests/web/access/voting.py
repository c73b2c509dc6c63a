"""Access rules for voting, the bulletin board, eligibility, paper ballots and pb import/export.

The world's citizen (postcode NB1, Riverside) is eligible in the voting round; the other roles
have no postcode, so the voting POSTs refuse them with 403 and a page saying why.
"""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

from flask import current_app

from tests.web.access import (
    FACILITATOR_ONLY,
    FORBIDDEN,
    OK,
    PUBLIC,
    ROLES,
    Access,
    only,
)

NOT_FOUND = "HTTP 404"
CITIZEN_ONLY_403 = {role: FORBIDDEN for role in ROLES} | {"citizen": OK}
PB_TEXT = (
    "META\nkey;value\ndescription;Access test\nnum_projects;1\nnum_votes;1\nbudget;100\n"
    "vote_type;approval\nPROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote\n1;1\n"
)


class Replayable(io.BytesIO):
    """A file that every request reads from the start (the rule's data is built once)."""

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if not chunk:
            self.seek(0)
        return chunk

    def close(self) -> None:
        """Stay open: the test client closes uploads after each request."""


def _v(w: Any) -> SimpleNamespace:
    """Build (once per world) a voting round, a closed round and one paper ballot."""
    if hasattr(w, "_voting"):
        return w._voting
    from decide.models import PostcodeArea, Project, Round
    from decide.services import ballot_values, paper, register_setup, voting

    s = w.session
    s.add(PostcodeArea(postcode="NB1 1AA", area_id=w.areas[0].id))
    rounds = {}
    for phase in ("voting", "closed"):
        rnd = Round(
            title=f"Access {phase}", slug=f"access-{phase}", budget_pence=100_000, phase=phase,
            ballot_kind="approval", min_choices=1, max_choices=2,
        )  # fmt: skip
        rnd.areas = [w.areas[0]]
        rnd.projects = [
            Project(code=f"P{i}", position=i, title=f"Project {i}", cost_pence=20_000)
            for i in range(1, 4)
        ]
        s.add(rnd)
        rounds[phase] = rnd
    s.commit()
    key = voting.load_server_key(current_app.config["RECEIPT_KEY_FILE"])
    today = rounds["voting"].created_at.date()
    batch = register_setup.issue_paper_numbers(
        s, rounds["voting"].id, 2, label="Access", today=today
    )
    signed = paper.enter_paper_ballot(
        s, rounds["voting"].id, ["P2"], number=batch.numbers[0].number,
        officer_id=w.user("facilitator").id, server_key=key, today=today,
    )  # fmt: skip
    citizen = w.user("citizen")
    payload = json.dumps({"projects": ["P1"], "points": None}, separators=(",", ":"))
    check = ballot_values.sign_choices(
        current_app.config["SECRET_KEY"], rounds["voting"].id, f"user:{citizen.id}", payload
    )
    w._voting = SimpleNamespace(
        round=rounds["voting"],
        closed=rounds["closed"],
        tracker=signed.receipt.tracker.hex(),
        paper_batch=batch.id,
        paper_number=batch.numbers[1].number,
        receipt=signed.to_json().decode(),
        reviewed={"choices": payload, "check": check},
    )
    return w._voting


def _roll_draft(w: Any) -> int:
    """Return (once per world) a draft round with a voter roll holding reference R1."""
    if not hasattr(w, "_roll_draft"):
        from decide.models import Round
        from decide.services import voter_roll

        rnd = Round(title="Access roll", slug="access-roll", budget_pence=100_000, phase="draft")
        w.session.add(rnd)
        w.session.commit()
        voter_roll.upload_roll(
            w.session, rnd.id, "reference,date_of_birth\nR1,1990-01-01\n",
            secret_key=current_app.config["SECRET_KEY"],
        )  # fmt: skip
        w._roll_draft = rnd.id
    return w._roll_draft


def _vote(w: Any, tail: str = "") -> str:
    return f"/rounds/{_v(w).round.id}/vote{tail}"


RULES = [
    Access("voting.ballot", "GET", lambda w: _vote(w), PUBLIC),
    Access(
        "voting.prove_roll",
        "POST",
        lambda w: _vote(w, "/roll"),
        PUBLIC,
        data=lambda w: {"reference": "X1", "date_of_birth": "1990-01-01"},
    ),
    Access(
        "voting.prove_code",
        "POST",
        lambda w: _vote(w, "/code"),
        PUBLIC,
        data=lambda w: {"code": "AAAA-BBBB-CCCC"},
    ),
    Access(
        "voting.summary",
        "POST",
        lambda w: _vote(w, "/summary"),
        CITIZEN_ONLY_403,
        data=lambda w: {"project": "P1"},
    ),
    Access(
        "voting.review",
        "POST",
        lambda w: _vote(w, "/review"),
        CITIZEN_ONLY_403,
        data=lambda w: {"project": "P1"},
    ),
    Access(
        "voting.edit",
        "POST",
        lambda w: _vote(w, "/edit"),
        CITIZEN_ONLY_403,
        data=lambda w: _v(w).reviewed,
    ),
    Access(
        "voting.cast",
        "POST",
        lambda w: _vote(w, "/cast"),
        CITIZEN_ONLY_403,
        data=lambda w: _v(w).reviewed,
    ),
    # The receipt again, on the same proof of eligibility: a visitor who has not shown it is
    # refused (403); a signed-in person who has not voted here has no receipt (404).
    Access(
        "voting.receipt_again",
        "POST",
        lambda w: _vote(w, "/receipt"),
        {role: NOT_FOUND for role in ROLES} | {"anonymous": FORBIDDEN},
    ),
    Access("board.board", "GET", lambda w: f"/rounds/{_v(w).round.id}/board", PUBLIC),
    Access("board.key", "GET", lambda w: "/board/key", PUBLIC),
    Access("board.key_text", "GET", lambda w: "/board/key.txt", PUBLIC),
    Access("board.check", "GET", lambda w: "/receipts/check", PUBLIC),
    Access(
        "board.check",
        "POST",
        lambda w: "/receipts/check",
        PUBLIC,
        data=lambda w: {"receipt": _v(w).receipt},
    ),
    Access("board.export", "GET", lambda w: f"/rounds/{_v(w).closed.id}/ballots.pb", PUBLIC),
    Access(
        "board.export",
        "GET",
        lambda w: f"/rounds/{_v(w).round.id}/ballots.pb",
        {role: FORBIDDEN for role in ROLES},
        note="before-close",
    ),
    Access("board.import_pb", "GET", lambda w: "/rounds/import-pb", FACILITATOR_ONLY),
    Access(
        "board.import_pb",
        "POST",
        lambda w: "/rounds/import-pb",
        FACILITATOR_ONLY,
        data=lambda w: {"pb_file": (Replayable(PB_TEXT.encode()), "old.pb")},
    ),
    Access(
        "eligibility.settings",
        "GET",
        lambda w: f"/rounds/{_v(w).round.id}/eligibility",
        FACILITATOR_ONLY,
    ),
    Access(
        "eligibility.settings",
        "POST",
        lambda w: f"/rounds/{_v(w).round.id}/eligibility",
        FACILITATOR_ONLY,
        data=lambda w: {"by_postcode": "on", "min_age": ""},
    ),
    Access(
        "eligibility.upload_roll",
        "POST",
        lambda w: f"/rounds/{w.draft.id}/eligibility/roll",
        FACILITATOR_ONLY,
        data=lambda w: {
            "roll_file": (Replayable(b"reference,date_of_birth\nR1,1990-01-01\n"), "roll.csv")
        },
    ),
    Access(
        "eligibility.generate_codes",
        "POST",
        lambda w: f"/rounds/{w.draft.id}/eligibility/codes",
        FACILITATOR_ONLY,
        data=lambda w: {"count": "2", "label": "Access test"},
    ),
    # Officers (User.is_officer) may also enter paper ballots; the role table has no officer.
    Access("paper.enter", "GET", lambda w: f"/rounds/{_v(w).round.id}/paper", only("facilitator")),
    Access(
        "paper.enter",
        "POST",
        lambda w: f"/rounds/{_v(w).round.id}/paper",
        only("facilitator"),
        data=lambda w: {"project": "P3", "number": _v(w).paper_number},
    ),
    Access(
        "paper.numbers",
        "GET",
        lambda w: f"/rounds/{_v(w).round.id}/paper/numbers",
        FACILITATOR_ONLY,
    ),
    Access(
        "paper.numbers",
        "POST",
        lambda w: f"/rounds/{_v(w).round.id}/paper/numbers",
        FACILITATOR_ONLY,
        data=lambda w: {"count": "2", "label": "Access test"},
    ),
    Access(
        "paper.print_batch",
        "GET",
        lambda w: f"/rounds/{_v(w).round.id}/paper/numbers/{_v(w).paper_batch}",
        FACILITATOR_ONLY,
    ),
    Access(
        "eligibility.roll_codes",
        "POST",
        lambda w: f"/rounds/{_roll_draft(w)}/eligibility/roll-codes",
        FACILITATOR_ONLY,
        data=lambda w: {"references": "R1", "label": "Access test"},
    ),
    Access(
        "eligibility.confirm_self_declared",
        "POST",
        lambda w: f"/rounds/{w.draft.id}/eligibility/self-declared",
        FACILITATOR_ONLY,
        data=lambda w: {"understood": "y"},
    ),
]

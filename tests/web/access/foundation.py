"""Access rules for the foundation routes: accounts, assets, rounds, proposals, review."""

from __future__ import annotations

from tests.web.access import FACILITATOR_ONLY, PUBLIC, SIGNED_IN, Access, only


def _round(w):
    return w.round.id


RULES = [
    Access("main.home", "GET", lambda w: "/", PUBLIC),
    Access("main.healthz", "GET", lambda w: "/healthz", PUBLIC),
    Access("auth.register", "GET", lambda w: "/register", PUBLIC),
    Access("auth.register", "POST", lambda w: "/register", PUBLIC),
    Access("auth.login", "GET", lambda w: "/login", PUBLIC),
    Access("auth.login", "POST", lambda w: "/login", PUBLIC),
    Access("auth.logout", "POST", lambda w: "/logout", SIGNED_IN),
    Access("auth.account", "GET", lambda w: "/account", SIGNED_IN),
    # Community assets
    Access("assets.index", "GET", lambda w: "/organisations/", PUBLIC),
    Access("assets.show", "GET", lambda w: f"/organisations/{w.organisation.slug}", PUBLIC),
    Access("assets.create", "GET", lambda w: "/organisations/new", FACILITATOR_ONLY),
    Access("assets.create", "POST", lambda w: "/organisations/new", FACILITATOR_ONLY),
    Access(
        "assets.edit",
        "GET",
        lambda w: f"/organisations/{w.organisation.slug}/edit",
        only("asset_member", "facilitator"),
    ),
    Access(
        "assets.edit",
        "POST",
        lambda w: f"/organisations/{w.organisation.slug}/edit",
        only("asset_member", "facilitator"),
    ),
    Access(
        "assets.add_member",
        "POST",
        lambda w: f"/organisations/{w.organisation.slug}/members",
        FACILITATOR_ONLY,
        data=lambda w: {"email": "nobody@test.example", "role": "member"},
    ),
    Access(
        "assets.remove_member",
        "POST",
        lambda w: f"/organisations/{w.organisation.slug}/members/{w.other_member.id}/remove",
        FACILITATOR_ONLY,
    ),
    # Rounds
    Access("rounds.index", "GET", lambda w: "/rounds/", PUBLIC),
    Access("rounds.show", "GET", lambda w: f"/rounds/{_round(w)}", PUBLIC),
    Access("rounds.show", "GET", lambda w: f"/rounds/{w.draft.id}", FACILITATOR_ONLY, note="draft"),
    Access("rounds.create", "GET", lambda w: "/rounds/new", FACILITATOR_ONLY),
    Access("rounds.create", "POST", lambda w: "/rounds/new", FACILITATOR_ONLY),
    Access("rounds.edit", "GET", lambda w: f"/rounds/{_round(w)}/edit", FACILITATOR_ONLY),
    Access("rounds.edit", "POST", lambda w: f"/rounds/{_round(w)}/edit", FACILITATOR_ONLY),
    Access(
        "rounds.change_phase",
        "POST",
        lambda w: f"/rounds/{_round(w)}/phase",
        FACILITATOR_ONLY,
        data=lambda w: {"to_phase": "deliberation"},
    ),
    Access("rounds.panel", "GET", lambda w: f"/rounds/{_round(w)}/panel", FACILITATOR_ONLY),
    Access(
        "rounds.panel",
        "POST",
        lambda w: f"/rounds/{_round(w)}/panel",
        FACILITATOR_ONLY,
        data=lambda w: {"email": "citizen@test.example", "role_title": "Resident"},
    ),
    Access(
        "rounds.remove_panel_member",
        "POST",
        lambda w: f"/rounds/{_round(w)}/panel/{w.panel_seat.id}/remove",
        FACILITATOR_ONLY,
    ),
    Access("rounds.places", "GET", lambda w: "/rounds/areas", FACILITATOR_ONLY),
    Access(
        "rounds.add_area",
        "POST",
        lambda w: "/rounds/areas",
        FACILITATOR_ONLY,
        data=lambda w: {
            "area-name": "Canal Side",
            "area-population": "9000",
            "area-deprivation_decile": "2",
        },
    ),
    Access(
        "rounds.edit_area", "GET", lambda w: f"/rounds/areas/{w.areas[0].id}/edit", FACILITATOR_ONLY
    ),
    Access(
        "rounds.edit_area",
        "POST",
        lambda w: f"/rounds/areas/{w.areas[0].id}/edit",
        FACILITATOR_ONLY,
    ),
    Access(
        "rounds.add_theme",
        "POST",
        lambda w: "/rounds/themes",
        FACILITATOR_ONLY,
        data=lambda w: {"theme-name": "Older people"},
    ),
    # Proposals
    Access("proposals.index", "GET", lambda w: f"/rounds/{_round(w)}/proposals", PUBLIC),
    Access(
        "proposals.index",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/proposals",
        FACILITATOR_ONLY,
        note="draft",
    ),
    Access("proposals.create", "GET", lambda w: f"/rounds/{_round(w)}/proposals/new", SIGNED_IN),
    Access(
        "proposals.create",
        "POST",
        lambda w: f"/rounds/{_round(w)}/proposals/new",
        SIGNED_IN,
        data=lambda w: {"title": ""},
    ),
    Access(
        "proposals.create",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/proposals/new",
        FACILITATOR_ONLY,
        note="draft",
    ),
    Access(
        "proposals.cost_line_row",
        "GET",
        lambda w: f"/rounds/{_round(w)}/proposals/cost-line?cost_lines-0-item=x",
        SIGNED_IN,
    ),
    Access("proposals.show", "GET", lambda w: f"/proposals/{w.proposal.id}", PUBLIC),
    Access("proposals.versions", "GET", lambda w: f"/proposals/{w.proposal.id}/versions", PUBLIC),
    Access("proposals.version", "GET", lambda w: f"/proposals/{w.proposal.id}/versions/1", PUBLIC),
    Access(
        "proposals.edit",
        "GET",
        lambda w: f"/proposals/{w.proposal.id}/edit",
        only("asset_member"),
    ),
    Access(
        "proposals.edit",
        "POST",
        lambda w: f"/proposals/{w.proposal.id}/edit",
        only("asset_member"),
        data=lambda w: {"title": ""},
    ),
    Access(
        "proposals.withdraw",
        "POST",
        lambda w: f"/proposals/{w.proposal.id}/withdraw",
        only("asset_member"),
    ),
    # Review
    Access(
        "review.round_review",
        "GET",
        lambda w: f"/rounds/{_round(w)}/review",
        only("panel_member", "facilitator"),
    ),
    Access(
        "review.review", "GET", lambda w: f"/proposals/{w.proposal.id}/review", FACILITATOR_ONLY
    ),
    Access(
        "review.review",
        "POST",
        lambda w: f"/proposals/{w.proposal.id}/review",
        FACILITATOR_ONLY,
        data=lambda w: {"feasibility": "feasible"},
    ),
    Access(
        "review.accept", "POST", lambda w: f"/proposals/{w.proposal.id}/accept", FACILITATOR_ONLY
    ),
    Access(
        "review.remove_from_ballot",
        "POST",
        lambda w: f"/proposals/{w.proposal.id}/remove-from-ballot",
        FACILITATOR_ONLY,
    ),
]

"""Access rules for the learning dashboard and open data: public, no login, for every role."""

from __future__ import annotations

from tests.web.access import PUBLIC, ROLES, Access

NOT_FOUND = dict.fromkeys(ROLES, "HTTP 404")

RULES = [
    Access("learning.dashboard", "GET", lambda w: "/learning", PUBLIC),
    Access("opendata.index", "GET", lambda w: "/data", PUBLIC),
    Access("opendata.site_csv", "GET", lambda w: "/data/rounds.csv", PUBLIC),
    Access("opendata.site_json", "GET", lambda w: "/data/areas.json", PUBLIC),
    Access("opendata.site_package", "GET", lambda w: "/data/datapackage.json", PUBLIC),
    Access(
        "opendata.round_csv",
        "GET",
        lambda w: f"/data/rounds/{w.round.slug}/proposals.csv",
        PUBLIC,
    ),
    Access(
        "opendata.round_json",
        "GET",
        lambda w: f"/data/rounds/{w.round.slug}/proposal_versions.json",
        PUBLIC,
    ),
    Access(
        "opendata.round_package",
        "GET",
        lambda w: f"/data/rounds/{w.round.slug}/datapackage.json",
        PUBLIC,
    ),
    # Only a round with published results has a ballot file; a draft has no open data at all.
    Access(
        "opendata.round_pb",
        "GET",
        lambda w: f"/data/rounds/{w.round.slug}/ballots.pb",
        NOT_FOUND,
    ),
    Access(
        "opendata.round_csv",
        "GET",
        lambda w: f"/data/rounds/{w.draft.slug}/proposals.csv",
        NOT_FOUND,
        note="draft",
    ),
    Access("opendata.feed", "GET", lambda w: "/feed.atom", PUBLIC),
]

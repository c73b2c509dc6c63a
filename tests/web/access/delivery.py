"""Access rules for delivery routes (see decide.web.delivery): public pages for everyone;
reports by the delivering organisation's members only; milestones, confirmation and the
outcome framework by facilitators; the retrospective by the facilitator and the panel; a
carry-over by the proposer only."""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction

from PIL import Image

from tests.web.access import FACILITATOR_ONLY, PUBLIC, Access, only

UNPROCESSABLE = "HTTP 422"
REPORTER = only("asset_member")  # a member of Riverside Food Bank, which delivers D1


def _delivered(w):
    """Return ids (round, milestone, story, photo, unfunded proposal) of a published round whose
    funded project D1 is delivered by the world's organisation."""
    cached = getattr(w, "_delivery_rows", None)
    if cached:
        return cached
    from audits.manifest import Manifest, ManifestProject
    from decide.models import (
        ImpactFigure,
        Milestone,
        OutcomeMeasure,
        PanelMember,
        Photo,
        ProgressUpdate,
        Project,
        Round,
        RoundManifest,
        Story,
    )  # fmt: skip
    from tests.web.world import make_proposal

    s = w.session
    rnd = Round(title="Delivered round", slug="delivered-round", budget_pence=100_000,
                phase="deliberation", signature_threshold=1)  # fmt: skip
    rnd.areas = list(w.areas)
    s.add(rnd)
    s.flush()
    s.add(PanelMember(round=rnd, user=w.users["panel_member"]))
    unfunded = make_proposal(s, rnd, w.users["citizen"], "Unfunded idea")
    s.flush()
    funded = Project(round=rnd, code="D1", title="Pantry", cost_pence=50_000,
                     organisation_id=w.organisation.id)  # fmt: skip
    other = Project(round=rnd, code="D2", title="Idea", cost_pence=60_000, position=1,
                    proposal_id=unfunded.id)  # fmt: skip
    s.add_all([funded, other])
    s.commit()
    rnd.phase = "published"  # the ballot is set; now its results are out
    m = Manifest(
        round_id=str(rnd.id), title=rnd.title, budget=Fraction(100_000), currency="GBP",
        ballot={"kind": "approval"}, rule="greedy", rule_parameters={},
        tie_break={"kind": "lex", "seed": None},
        projects=(ManifestProject("D1", "Pantry", Fraction(50_000), w.organisation.name),
                  ManifestProject("D2", "Idea", Fraction(60_000), "")),
        ballot_count=0, ballots_by_channel={}, files={}, merkle_root="0" * 64,
        chain_head="0" * 64, tally={}, allocation={"D1": Fraction(50_000)},
        software_version="test", server_public_key="0" * 64, threshold=1,
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    s.add(RoundManifest(
        round_id=rnd.id, digest=m.digest_hex(), manifest_json=m.to_json_bytes(),
        ballots_pb=b"", keys_json=b'{"keys":[],"round":"1","type":"decide-keys/v1"}',
        created_at=now,
    ))  # fmt: skip
    milestone = Milestone(project=funded, title="Opened", planned_on=dt.date.today(),
                          tranche_pence=10_000)  # fmt: skip
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="JPEG")
    photo = Photo(content_type="image/jpeg", width=4, height=4, alt_text="A shelf",
                  sha256="0" * 64, data=out.getvalue(), created_at=now)  # fmt: skip
    update = ProgressUpdate(project=funded, organisation_id=w.organisation.id,
                            author_id=w.users["asset_member"].id, text="Open", created_at=now,
                            photos=[photo])  # fmt: skip
    story = Story(project=funded, organisation_id=w.organisation.id,
                  author_id=w.users["asset_member"].id, title="Story", text="Text",
                  consent_by="Mo", consent_on=dt.date.today(), consent_use="Page",
                  consent_page=True,
                  created_at=now)  # fmt: skip
    measure = OutcomeMeasure(round_id=rnd.id, name="People reached", unit="people",
                             by_area=True, by_decile=True)  # fmt: skip
    figure = ImpactFigure(
        measure=measure, project=funded, organisation_id=w.organisation.id,
        author_id=w.users["asset_member"].id, value="3", created_at=now,
    )  # fmt: skip
    s.add_all([milestone, update, story, measure, figure])
    s.commit()
    w._delivery_rows = (
        rnd.id, milestone.id, story.id, photo.id, unfunded.id, measure.id, figure.id, update.id,
    )  # fmt: skip
    return w._delivery_rows


def _r(w) -> int:
    return _delivered(w)[0]


def _p(w) -> str:
    return f"/rounds/{_r(w)}/projects/D1"


RULES = [
    Access("delivery.index", "GET", lambda w: f"/rounds/{_r(w)}/delivery", PUBLIC),
    Access("delivery.project", "GET", _p, PUBLIC),
    Access("delivery.photo", "GET", lambda w: f"/photos/{_delivered(w)[3]}", PUBLIC),
    Access("delivery.post_update", "GET", lambda w: f"{_p(w)}/updates/new", REPORTER),
    Access(
        "delivery.post_update",
        "POST",
        lambda w: f"{_p(w)}/updates/new",
        {**REPORTER, "asset_member": UNPROCESSABLE},
    ),
    Access("delivery.report_figure", "GET", lambda w: f"{_p(w)}/figures/new", REPORTER),
    Access(
        "delivery.report_figure",
        "POST",
        lambda w: f"{_p(w)}/figures/new",
        {**REPORTER, "asset_member": UNPROCESSABLE},
    ),
    Access("delivery.add_story", "GET", lambda w: f"{_p(w)}/stories/new", REPORTER),
    Access(
        "delivery.add_story",
        "POST",
        lambda w: f"{_p(w)}/stories/new",
        {**REPORTER, "asset_member": UNPROCESSABLE},
    ),
    # The page that asks before the removal (no JavaScript needed).
    Access(
        "delivery.withdraw_consent",
        "GET",
        lambda w: f"{_p(w)}/stories/{_delivered(w)[2]}/withdraw",
        only("asset_member", "facilitator"),
    ),
    Access(
        "delivery.withdraw_consent",
        "POST",
        lambda w: f"{_p(w)}/stories/{_delivered(w)[2]}/withdraw",
        only("asset_member", "facilitator"),
    ),
    # The page that asks before the removal (no JavaScript needed).
    Access(
        "delivery.withdraw_figure",
        "GET",
        lambda w: f"{_p(w)}/figures/{_delivered(w)[6]}/withdraw",
        REPORTER,
    ),
    Access(
        "delivery.withdraw_figure",
        "POST",
        lambda w: f"{_p(w)}/figures/{_delivered(w)[6]}/withdraw",
        REPORTER,
    ),
    # The page that asks before the removal (no JavaScript needed).
    Access(
        "delivery.remove_update",
        "GET",
        lambda w: f"{_p(w)}/updates/{_delivered(w)[7]}/remove",
        only("asset_member", "facilitator"),
    ),
    Access(
        "delivery.remove_update",
        "POST",
        lambda w: f"{_p(w)}/updates/{_delivered(w)[7]}/remove",
        only("asset_member", "facilitator"),
    ),
    # The page that asks before the removal (no JavaScript needed).
    Access(
        "delivery.remove_photo",
        "GET",
        lambda w: f"{_p(w)}/photos/{_delivered(w)[3]}/remove",
        only("asset_member", "facilitator"),
    ),
    Access(
        "delivery.remove_photo",
        "POST",
        lambda w: f"{_p(w)}/photos/{_delivered(w)[3]}/remove",
        only("asset_member", "facilitator"),
    ),
    Access(
        "delivery.set_status",
        "POST",
        lambda w: f"{_p(w)}/milestones/{_delivered(w)[1]}/status",
        only("asset_member", "facilitator"),
        data=lambda w: {"status": "on-track"},
    ),
    Access("delivery.milestones", "GET", lambda w: f"{_p(w)}/milestones", FACILITATOR_ONLY),
    Access(
        "delivery.milestones",
        "POST",
        lambda w: f"{_p(w)}/milestones",
        {**FACILITATOR_ONLY, "facilitator": UNPROCESSABLE},
    ),
    Access(
        "delivery.confirm",
        "POST",
        lambda w: f"{_p(w)}/milestones/{_delivered(w)[1]}/confirm",
        FACILITATOR_ONLY,
    ),
    # The world's milestone is not confirmed: the page sends the facilitator back (303).
    Access(
        "delivery.withdraw_confirmation",
        "GET",
        lambda w: f"{_p(w)}/milestones/{_delivered(w)[1]}/withdraw-confirmation",
        FACILITATOR_ONLY,
    ),
    Access(
        "delivery.withdraw_confirmation",
        "POST",
        lambda w: f"{_p(w)}/milestones/{_delivered(w)[1]}/withdraw-confirmation",
        FACILITATOR_ONLY,
        data=lambda w: {"reason": "By mistake", "status": "on-track"},
    ),
    Access(
        "delivery.carried_over", "GET", lambda w: f"/rounds/{_r(w)}/carried-over", FACILITATOR_ONLY
    ),
    Access("delivery.outcomes", "GET", lambda w: f"/rounds/{_r(w)}/outcomes", FACILITATOR_ONLY),
    Access(
        "delivery.outcomes",
        "POST",
        lambda w: f"/rounds/{_r(w)}/outcomes",
        {**FACILITATOR_ONLY, "facilitator": UNPROCESSABLE},
    ),
    Access(
        "delivery.retrospective",
        "GET",
        lambda w: f"/rounds/{_r(w)}/retrospective",
        only("panel_member", "facilitator"),
    ),
    Access(
        "delivery.retrospective",
        "POST",
        lambda w: f"/rounds/{_r(w)}/retrospective",
        {
            **only("panel_member", "facilitator"),
            "panel_member": UNPROCESSABLE,
            "facilitator": UNPROCESSABLE,
        },
    ),
    Access(
        "delivery.carry_over",
        "GET",
        lambda w: f"/proposals/{_delivered(w)[4]}/carry-over",
        only("citizen"),
    ),
    Access(
        "delivery.carry_over",
        "POST",
        lambda w: f"/proposals/{_delivered(w)[4]}/carry-over",
        {**only("citizen"), "citizen": UNPROCESSABLE},
    ),
]

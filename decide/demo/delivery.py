"""Demo: delivery of the three past rounds (2024 complete, 2025 underway, 2026 started).

Through the real use cases: an outcome framework per round, three milestones per funded
project with tranches, confirmations by the facilitator, the tranches paid through the
ledger, progress updates with photos (drawn here with Pillow, the same every time), impact
figures, two consented stories and the retrospectives of the two older rounds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.demo.catalogue import FACILITATOR_EMAIL
from decide.demo.past_rounds import ROUND_2024, ROUND_2025
from decide.demo.published import PUBLISHED_ROUND_SLUG
from decide.models import Membership, Milestone, OutcomeMeasure, Project, Round, User
from decide.services import delivery, delivery_reports, ledger, retrospectives
from decide.services.delivery import MilestoneDraft
from decide.services.delivery_reports import FigureDraft, MeasureDraft, StoryDraft, UpdateDraft
from decide.services.photos import PhotoUpload

# (round slug, how far delivery has gone: milestones confirmed of three)
STAGES = ((ROUND_2024.slug, 3), (ROUND_2025.slug, 2), (PUBLISHED_ROUND_SLUG, 1))
MEASURES = (
    # Reported again at each milestone as a running total: each project's latest counts.
    MeasureDraft("People reached", "people", by_area=True, by_decile=True, whole_numbers=True,
                 description="Different people who took part so far, by their area's decile",
                 aggregation="latest"),
    MeasureDraft("Sessions held", "sessions", whole_numbers=True),
    MeasureDraft("Volunteer hours", "hours"),
    # A score: the dashboard shows the mean of the projects' figures, never their sum.
    MeasureDraft("Wellbeing change (WEMWBS)", "points", may_be_negative=True,
                 description="Average change in the Warwick-Edinburgh score, after minus before",
                 aggregation="mean"),
)  # fmt: skip
MILESTONES = (
    ("Set up and first sessions", 3, 60),
    ("Halfway review", 4, 180),
    ("Final report", 3, 330),
)  # (title, tenths of the allocation, days after results)
STORIES = {
    ROUND_2024.slug: ("A3", "Not on my own any more",
                      "When my daughter was born I felt I was failing. My peer supporter had "
                      "been through the same, and she came round every week until I could get "
                      "to the group on my own. Now I am training to be a supporter.",
                      "Leah, a mother in Canal Side"),
    ROUND_2025.slug: ("B2", "Walking it off",
                      "The walks got me out when my anxiety was at its worst. Nobody pushes you "
                      "to talk, but you can, and I have made two real friends.",
                      "Sana, walker"),
}  # fmt: skip
RETROSPECTIVES = {
    ROUND_2024.slug: (
        "Paper ballots at the food bank and the church doubled turnout in Riverside.",
        "Milestones were too vague, so confirming them took long and payments came late.",
        "Every project agrees three dated milestones with tranches before the first payment.",
    ),
    ROUND_2025.slug: (
        "Dated milestones made payments prompt; projects reported figures at each one.",
        "Few voters from Moorfield and Hillfoot; the wellbeing score was collected by only two "
        "projects.",
        "Hold voting events in Hillfoot; offer every project help to collect WEMWBS.",
    ),
}


def demo_photo(seed: str, size: tuple[int, int] = (360, 240)) -> bytes:
    """Draw a small picture (sky, ground, shapes) determined by `seed`, as PNG bytes."""
    h = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", size, (h[0] // 2 + 100, h[1] // 2 + 120, 230))
    draw = ImageDraw.Draw(image)
    w, ht = size
    draw.rectangle((0, ht * 2 // 3, w, ht), fill=(60 + h[2] // 4, 140 + h[3] // 4, 70))
    for k in range(4):
        x, y, r = h[4 + k] * w // 256, ht // 2 + h[8 + k] % (ht // 3), 12 + h[12 + k] % 30
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(h[16 + k], h[20 + k], h[24 + k]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _reporter(session: Session, project: Project) -> User | None:
    return session.scalar(
        select(User).join(Membership).where(Membership.organisation_id == project.organisation_id)
        .order_by(Membership.id).limit(1)
    )  # fmt: skip


def _milestones(session: Session, rnd: Round, project: Project, fac: User) -> list[Milestone]:
    allocated = int(delivery.allocations(session, rnd)[project.code])
    results = rnd.results_date or dt.date.today()
    tranches = [allocated * tenths // 10 for _, tenths, _ in MILESTONES]
    tranches[-1] = allocated - sum(tranches[:-1])
    drafts = [
        MilestoneDraft(title, results + dt.timedelta(days=days), tranche)
        for (title, _, days), tranche in zip(MILESTONES, tranches, strict=True)
    ]
    return [delivery.add_milestone(session, rnd, project, d, fac) for d in drafts]


def _report(
    session: Session,
    project: Project,
    m: Milestone,
    n: int,
    who: User,
    measures: list[OutcomeMeasure],
) -> None:
    photos = tuple(
        PhotoUpload(demo_photo(f"{project.code}/{m.id}/{k}"), f"{k}.png",
                    f"{project.title}: {m.title.lower()}, picture {k + 1}")
        for k in range(2 if n == 0 else 1)
    )  # fmt: skip
    text = f"{m.title} done. {project.summary} Thank you to our volunteers."
    update = delivery_reports.post_update(session, project, UpdateDraft(text, m.id, photos), who)
    when = min(m.planned_on, dt.date.today())
    update.created_at = dt.datetime.combine(when, dt.time(12), tzinfo=dt.UTC)
    decile = project.area.deprivation_decile if project.area else None
    values = (str(25 + 15 * n + len(project.title) % 20), str(8 + 4 * n), str(40 + 25 * n))
    for measure, value in zip(measures[:3], values, strict=True):
        delivery_reports.report_figure(
            session, project,
            FigureDraft(measure.id, value, m.id, decile=decile if measure.by_decile else None,
                        area_id=project.area_id if measure.by_area else None), who,
        )  # fmt: skip
    if n == 2:
        change = "-0.5" if project.code.endswith("4") else f"{2 + len(project.title) % 3}.5"
        delivery_reports.report_figure(session, project, FigureDraft(measures[3].id, change, m.id),
                                       who)  # fmt: skip


def _deliver(session: Session, rnd: Round, project: Project, done: int, fac: User,
             measures: list[OutcomeMeasure]) -> None:  # fmt: skip
    who = _reporter(session, project)
    planned = _milestones(session, rnd, project, fac)
    paid = delivery.paid_by_project(session, rnd.id).get(project.code, 0)
    for n, m in enumerate(planned):
        if n >= done:
            status = "delayed" if project.code.endswith("3") else "on-track"
            delivery.set_status(session, m, status if n == done else "not-started", fac)
            continue
        delivery.confirm_milestone(session, m, fac)
        due = delivery.confirmed_tranches(session, project.id) - paid
        if due > 0:  # pay up to the confirmed tranches (a round may have paid ahead)
            paid_on = min(m.planned_on + dt.timedelta(days=7), dt.date.today())
            form = ledger.PaymentForm(project.code, due, paid_on, f"NB-{rnd.id}-{project.code}-{n}",
                                      "Priya Shah", milestone_id=m.id)  # fmt: skip
            ledger.record_payment(session, rnd, form, fac)
            paid += due
        if who is not None:
            _report(session, project, m, n, who, measures)


def seed_delivery(session: Session) -> None:
    """Seed delivery of the three past rounds (skipped for a round that has a framework)."""
    fac = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    assert fac is not None
    for slug, done in STAGES:
        rnd = session.scalar(select(Round).where(Round.slug == slug))
        if rnd is None or delivery_reports.measures(session, rnd.id):
            continue
        measures = [delivery_reports.add_measure(session, rnd, m, fac) for m in MEASURES]
        for project in delivery.funded_projects(session, rnd):
            _deliver(session, rnd, project, done, fac, measures)
        if slug in STORIES:
            code, title, text, who = STORIES[slug]
            project = (
                delivery.funded_project(session, rnd, code)
                or delivery.funded_projects(session, rnd)[0]
            )
            reporter = _reporter(session, project)
            if reporter is not None:
                delivery_reports.add_story(
                    session, project,
                    StoryDraft(title, text, who, rnd.results_date or dt.date.today(),
                               "The project page, reports and open data",
                               PhotoUpload(demo_photo(f"story/{slug}"), "story.png",
                                           f"{who.split(',')[0]} at {project.title}"),
                               on_page=True, open_data=True),
                    reporter,
                )  # fmt: skip
        if slug in RETROSPECTIVES:
            worked, did_not, changes = RETROSPECTIVES[slug]
            retrospectives.write_retrospective(
                session, rnd,
                retrospectives.RetrospectiveDraft(worked, did_not, changes,
                                                  "Priya Shah (facilitator) and the panel"),
                fac,
            )  # fmt: skip
    session.commit()

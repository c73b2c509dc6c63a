"""What delivering organisations report: progress updates with photos, impact figures against
the round's outcome framework, and stories with the consent of the person in them.

Each use case is one unit of work: every photo is checked and re-encoded before anything is
added, so a bad photo (too large, not an image, no alt text) leaves nothing of the update
behind. Only members of the organisation delivering a project report on it (`NotAllowed`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import (
    Area,
    ImpactFigure,
    Milestone,
    OutcomeMeasure,
    Photo,
    ProgressUpdate,
    Project,
    Round,
    Story,
    User,
)
from decide.models.delivery import AGGREGATIONS, MAX_PHOTOS_PER_UPDATE, exact_value
from decide.services import permissions as can
from decide.services.delivery import can_report
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.photos import PhotoUpload, PreparedPhoto, prepare_photo
from decide.services.rows import of_round
from decide.services.sanitise import has_control_characters, visible_text
from decide.services.unit_of_work import transactional

TEXT_MAX = 5000
STORY_TITLE_MAX = 200
CONSENT_BY_MAX = 120
CONSENT_USE_MAX = 300
NO_PAGE_CONSENT = (
    "Tick “On the project page”: a story is published only with consent to show it there"
)
VALUE_WHOLE_DIGITS = 12  # up to 999,999,999,999
VALUE_DECIMAL_PLACES = 4
# Digits, with commas only between groups of three ("1,234.5"), and one optional point.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _require_reporter(actor: User, project: Project) -> None:
    if not can_report(actor, project):
        raise NotAllowed(
            "Only members of the organisation delivering this project can report on it"
        )


def _text(errors: dict[str, str], name: str, value: str, what: str, limit: int) -> str:
    value = visible_text(value)
    if not value:
        errors[name] = f"Enter {what}"
    elif len(value) > limit:
        errors[name] = f"{what[0].upper()}{what[1:]} must be {limit:,} characters or fewer"
    elif has_control_characters(value):
        errors[name] = "This contains invisible control characters; type it again"
    return value


def _milestone(session: Session, project: Project, milestone_id: int | None) -> Milestone | None:
    if milestone_id is None:
        return None
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.project_id != project.id:
        raise DomainError("Choose a milestone of this project", field="milestone_id")
    return milestone


def _photo(prepared: PreparedPhoto, position: int) -> Photo:
    return Photo(
        position=position, content_type=prepared.content_type, width=prepared.width,
        height=prepared.height, alt_text=prepared.alt_text, sha256=prepared.sha256,
        data=prepared.data, created_at=_now(),
    )  # fmt: skip


# --- Progress updates -----------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateDraft:
    """A progress update as posted: text, an optional milestone, and up to four photos."""

    text: str
    milestone_id: int | None = None
    photos: tuple[PhotoUpload, ...] = field(default=())


@transactional
def post_update(
    session: Session, project: Project, draft: UpdateDraft, actor: User
) -> ProgressUpdate:
    """Post a progress update with its photos, all or nothing."""
    _require_reporter(actor, project)
    errors: dict[str, str] = {}
    text = _text(errors, "text", draft.text, "what has happened", TEXT_MAX)
    if len(draft.photos) > MAX_PHOTOS_PER_UPDATE:
        errors["photos"] = f"Add at most {MAX_PHOTOS_PER_UPDATE} photos to one update"
    if errors:
        raise InvalidInput(errors)
    milestone = _milestone(session, project, draft.milestone_id)
    prepared = []
    for n, upload in enumerate(draft.photos, start=1):
        slot = upload.slot or n  # the place on the form, which an empty slot does not shift
        label = "The photo" if len(draft.photos) == 1 and slot == 1 else f"Photo {slot}"
        prepared.append(  # raises before anything is added
            prepare_photo(upload, label, photo_field=f"photo_{slot}", alt_field=f"alt_{slot}")
        )
    assert project.organisation_id is not None  # can_report checked it
    update = ProgressUpdate(
        project_id=project.id, organisation_id=project.organisation_id, author_id=actor.id,
        milestone_id=milestone.id if milestone else None, text=text, created_at=_now(),
        photos=[_photo(p, n) for n, p in enumerate(prepared)],
    )  # fmt: skip
    session.add(update)
    session.flush()
    return update


def updates(session: Session, project_id: int) -> list[ProgressUpdate]:
    """Return a project's updates (not removed), newest first."""
    return list(
        session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.project_id == project_id, ProgressUpdate.removed_at.is_(None))
            .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        )
    )


def can_remove(user: User, project: Project) -> bool:
    """Return True when the user may remove the project's updates and photos: a member of
    the delivering organisation, or a facilitator."""
    return can_report(user, project) or can.can_manage_rounds(user)


@transactional
def remove_update(session: Session, update: ProgressUpdate, actor: User) -> None:
    """Remove an update with its photos: kept, with who and when, but shown nowhere."""
    if not can_remove(actor, update.project):
        raise NotAllowed("Only the delivering organisation or a facilitator removes an update")
    if update.removed_at is not None:
        raise DomainError("This update is already removed")
    update.removed_at, update.removed_by_id = _now(), actor.id


@transactional
def remove_photo(session: Session, photo: Photo, actor: User) -> ProgressUpdate:
    """Remove one photo of an update: kept, with who and when, but shown nowhere."""
    update = session.get(ProgressUpdate, photo.update_id) if photo.update_id else None
    if update is None:
        raise DomainError("Only a photo of an update is removed here")
    if not can_remove(actor, update.project):
        raise NotAllowed("Only the delivering organisation or a facilitator removes a photo")
    if photo.removed_at is not None:
        raise DomainError("This photo is already removed")
    photo.removed_at, photo.removed_by_id = _now(), actor.id
    return update


# --- The outcome framework and impact figures -----------------------------------------------


def measures(session: Session, round_id: int) -> list[OutcomeMeasure]:
    """Return the round's outcome framework in order."""
    return of_round(session, OutcomeMeasure, round_id, OutcomeMeasure.position, OutcomeMeasure.id)


@dataclass(frozen=True)
class MeasureDraft:
    """A measure of the outcome framework."""

    name: str
    unit: str
    may_be_negative: bool = False
    by_area: bool = False
    by_decile: bool = False
    description: str = ""
    whole_numbers: bool = False
    aggregation: str = "sum"


@transactional
def add_measure(session: Session, rnd: Round, draft: MeasureDraft, actor: User) -> OutcomeMeasure:
    """Add a measure to the round's outcome framework (facilitators)."""
    if not can.can_manage_rounds(actor):
        raise NotAllowed("Only a facilitator chooses the round's outcome framework")
    errors: dict[str, str] = {}
    name = _text(errors, "name", draft.name, "the measure's name", 120)
    unit = _text(errors, "unit", draft.unit, "its unit, such as people or hours", 40)
    if draft.aggregation not in AGGREGATIONS:
        errors["aggregation"] = "Choose how the figures make a total"
    if errors:
        raise InvalidInput(errors)
    existing = measures(session, rnd.id)
    if any(m.name.casefold() == name.casefold() for m in existing):
        raise DomainError("The framework already has a measure of this name", field="name")
    measure = OutcomeMeasure(
        round_id=rnd.id, position=len(existing) + 1, name=name, unit=unit,
        description=draft.description.strip()[:300], may_be_negative=draft.may_be_negative,
        by_area=draft.by_area, by_decile=draft.by_decile, whole_numbers=draft.whole_numbers,
        aggregation=draft.aggregation,
    )  # fmt: skip
    session.add(measure)
    session.flush()
    return measure


@dataclass(frozen=True)
class FigureDraft:
    """A figure reported against a measure."""

    measure_id: int
    value: str
    milestone_id: int | None = None
    area_id: int | None = None
    decile: int | None = None


def _value(measure: OutcomeMeasure, text: str) -> str:
    """Return the figure as canonical decimal text, or raise with a clear message."""
    text = text.strip()
    if not (text.isascii() and _DECIMAL.fullmatch(text)):
        hint = (
            " Use commas only between groups of three digits, and a point for decimals."
            if "," in text
            else ""
        )
        raise DomainError(
            f"Enter the number of {measure.unit} in digits, like 120, 1,234 or 3.5.{hint}",
            field="value",
        )
    text = text.replace(",", "")
    whole, _, fraction = text.lstrip("+-").partition(".")
    if len(whole.lstrip("0")) > VALUE_WHOLE_DIGITS or len(fraction) > VALUE_DECIMAL_PLACES:
        raise DomainError(
            f"Enter at most {VALUE_WHOLE_DIGITS} digits before the point and "
            f"{VALUE_DECIMAL_PLACES} after it",
            field="value",
        )
    value = exact_value(text)
    if measure.whole_numbers and value.denominator != 1:
        raise DomainError(
            f"“{measure.name}” counts whole {measure.unit}; enter a whole number", field="value"
        )
    if value < 0 and not measure.may_be_negative:
        raise DomainError(
            f"“{measure.name}” cannot be negative; enter 0 or more {measure.unit}", field="value"
        )
    return _canonical(text)


def _canonical(text: str) -> str:
    """Return a decimal without a plus sign, leading zeros or trailing zeros: "-01.50" -> "-1.5"."""
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    number = str(int(whole)) + (f".{fraction}" if fraction else "")
    if whole.startswith("-") and not number.startswith("-"):  # "-0.5" (int("-0") is 0)
        number = "-" + number
    return "0" if number in ("-0", "0") else number


def _breakdown(
    session: Session, project: Project, measure: OutcomeMeasure, draft: FigureDraft
) -> tuple[int | None, int | None]:
    """Return the figure's (area id, decile), or raise next to the field.

    A measure broken down by area takes an area on every figure, and one by decile a decile:
    a figure for the whole project beside its breakdowns would be counted twice in the totals.
    By area and decile, the decile is the area's."""
    area = None
    if draft.area_id is not None:
        area = session.get(Area, draft.area_id)
        if not measure.by_area:
            raise DomainError("This measure is not broken down by area; leave the area empty",
                              field="area_id")  # fmt: skip
        if area is None or area not in project.round.areas:
            raise DomainError("Choose one of the round's areas", field="area_id")
    elif measure.by_area:
        raise DomainError(
            f"“{measure.name}” is broken down by area: choose the area this figure is for "
            "(report each area's figure separately)",
            field="area_id",
        )
    decile = draft.decile
    if decile is not None and (not measure.by_decile or not 1 <= decile <= 10):
        raise DomainError("Choose a decile from 1 to 10 for a measure broken down by decile",
                          field="decile")  # fmt: skip
    if measure.by_decile and area is not None:
        if decile is not None and decile != area.deprivation_decile:
            raise DomainError(
                f"{area.name} is in decile {area.deprivation_decile}: leave the decile empty "
                "(it is taken from the area) or choose that decile",
                field="decile",
            )
        decile = area.deprivation_decile
    elif measure.by_decile and decile is None:
        raise DomainError(
            f"“{measure.name}” is broken down by deprivation decile: choose the decile this "
            "figure is for",
            field="decile",
        )
    return (area.id if area is not None else None), decile


@transactional
def report_figure(
    session: Session, project: Project, draft: FigureDraft, actor: User
) -> ImpactFigure:
    """Report one impact figure for a project against the round's framework."""
    _require_reporter(actor, project)
    measure = session.get(OutcomeMeasure, draft.measure_id)
    if measure is None or measure.round_id != project.round_id:
        raise DomainError("Choose a measure of this round's framework", field="measure_id")
    value = _value(measure, draft.value)
    milestone = _milestone(session, project, draft.milestone_id)
    area_id, decile = _breakdown(session, project, measure, draft)
    assert project.organisation_id is not None
    figure = ImpactFigure(
        measure_id=measure.id, project_id=project.id,
        milestone_id=milestone.id if milestone else None,
        organisation_id=project.organisation_id, author_id=actor.id, value=value,
        area_id=area_id, decile=decile, created_at=_now(),
    )  # fmt: skip
    session.add(figure)
    session.flush()
    return figure


def figures(session: Session, project_id: int) -> list[ImpactFigure]:
    """Return a project's impact figures (not withdrawn), in the framework's order."""
    return list(
        session.scalars(
            select(ImpactFigure)
            .join(OutcomeMeasure)
            .where(ImpactFigure.project_id == project_id, ImpactFigure.withdrawn_at.is_(None))
            .order_by(OutcomeMeasure.position, ImpactFigure.created_at, ImpactFigure.id)
        )
    )


@transactional
def withdraw_figure(session: Session, figure: ImpactFigure, actor: User) -> None:
    """Withdraw a mistaken figure (the same people who report it): it is kept, with who and
    when, but leaves every page, total and open-data file. To correct it, report it again."""
    _require_reporter(actor, figure.project)
    if figure.withdrawn_at is not None:
        raise DomainError("This figure is already withdrawn")
    figure.withdrawn_at = _now()
    figure.withdrawn_by_id = actor.id


# --- Stories --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryDraft:
    """A story with the consent of the person in it."""

    title: str
    text: str
    consent_by: str
    consent_on: dt.date | None
    consent_use: str  # an optional note, in their words
    photo: PhotoUpload | None = None
    on_page: bool = False  # consent to show it on the project page: needed to publish
    open_data: bool = False  # consent to the open data under CC BY 4.0


@transactional
def add_story(session: Session, project: Project, draft: StoryDraft, actor: User) -> Story:
    """Add a story with its recorded consent (and optional photo), all or nothing."""
    _require_reporter(actor, project)
    errors: dict[str, str] = {}
    title = _text(errors, "title", draft.title, "a title", STORY_TITLE_MAX)
    text = _text(errors, "text", draft.text, "the story", TEXT_MAX)
    who = _text(errors, "consent_by", draft.consent_by, "who gave consent", CONSENT_BY_MAX)
    use = ""
    if visible_text(draft.consent_use):  # the note is optional
        use = _text(errors, "consent_use", draft.consent_use, "the note on consent",
                    CONSENT_USE_MAX)  # fmt: skip
    if not draft.on_page:
        errors["consent_scopes"] = NO_PAGE_CONSENT
    if draft.consent_on is None:
        errors["consent_on"] = "Enter the date consent was given, like 2026-03-01"
    elif draft.consent_on > dt.date.today():
        errors["consent_on"] = "The date consent was given cannot be in the future"
    if errors:
        raise InvalidInput(errors)
    assert draft.consent_on is not None and project.organisation_id is not None
    photo = None
    if draft.photo is not None:
        photo = _photo(prepare_photo(draft.photo, photo_field="photo", alt_field="photo_alt"), 0)
        session.add(photo)
    story = Story(
        project_id=project.id, organisation_id=project.organisation_id, author_id=actor.id,
        title=title, text=text, photo=photo, consent_by=who, consent_on=draft.consent_on,
        consent_use=use, consent_page=True, consent_open_data=draft.open_data,
        created_at=_now(),
    )  # fmt: skip
    session.add(story)
    session.flush()
    return story


@transactional
def withdraw_consent(session: Session, story: Story, actor: User) -> None:
    """Record that consent was withdrawn: the story is hidden everywhere from now on."""
    if not (can_report(actor, story.project) or can.can_manage_rounds(actor)):
        raise NotAllowed("Only the organisation that recorded the consent, or a facilitator, "
                         "can record its withdrawal")  # fmt: skip
    if story.withdrawn_at is None:
        story.withdrawn_at = _now()


def shown_stories(
    session: Session,
    *,
    project_id: int | None = None,
    round_id: int | None = None,
    open_data: bool = False,
) -> list[Story]:
    """Return stories whose consent stands (of one project, or of a round), newest first:
    consent to the project page, and with `open_data` also to the open data (`Story.shown`,
    `Story.open_data`). Every export and feed passes `open_data=True`."""
    query = select(Story).where(Story.withdrawn_at.is_(None), Story.consent_page.is_(True))
    if open_data:
        query = query.where(Story.consent_open_data.is_(True))
    if project_id is not None:
        query = query.where(Story.project_id == project_id)
    if round_id is not None:
        query = query.join(Project).where(Project.round_id == round_id)
    return list(session.scalars(query.order_by(Story.created_at.desc(), Story.id.desc())))


def all_stories(session: Session, project_id: int) -> list[Story]:
    """Return every story of a project, withdrawn ones included (for its organisation)."""
    return list(
        session.scalars(
            select(Story).where(Story.project_id == project_id).order_by(Story.id.desc())
        )
    )

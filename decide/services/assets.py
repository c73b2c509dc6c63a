"""Community assets: organisation profiles and their members."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from decide.models import ORGANISATION_KINDS, Area, Membership, Organisation
from decide.services.accounts import EMAIL_RE, find_user_by_email
from decide.services.errors import DomainError, InvalidInput, NotFound
from decide.services.slugs import unique_slug
from decide.services.unit_of_work import transactional

MEMBER_ROLES = {"member": "Member", "admin": "Admin (can edit the profile)"}


@dataclass(frozen=True)
class OrganisationProfile:
    """An organisation's public profile as plain values."""

    name: str
    kind: str
    description: str = ""
    contact_email: str | None = None
    contact_phone: str | None = None
    website: str | None = None
    area_ids: tuple[int, ...] = ()


def profile_problems(
    session: Session, p: OrganisationProfile, *, exclude_id: int | None = None
) -> dict[str, str]:
    """Return a message per field that cannot be saved, in form order."""
    errors: dict[str, str] = {}
    name = p.name.strip()
    if not name:
        errors["name"] = "Enter the organisation's name"
    elif len(name) > 160:
        errors["name"] = "The name must be 160 characters or fewer"
    else:
        clash = session.scalar(
            select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
        )
        if clash is not None and clash != exclude_id:
            errors["name"] = "Another organisation already has this name"
    if p.kind not in ORGANISATION_KINDS:
        errors["kind"] = "Choose what kind of organisation it is"
    if len(p.description) > 10_000:
        errors["description"] = "The description must be 10,000 characters or fewer"
    if p.contact_email and not EMAIL_RE.match(p.contact_email.strip()):
        errors["contact_email"] = "Enter an email address like name@example.org"
    if p.contact_phone and not re.fullmatch(r"[0-9 +()-]{6,40}", p.contact_phone.strip()):
        errors["contact_phone"] = "Enter a phone number, like 0113 496 0000"
    if p.website and not re.match(r"^https?://[^\s/]+\.[^\s]+$", p.website.strip()):
        errors["website"] = "Enter a web address starting with https://"
    return errors


def _write(session: Session, org: Organisation, p: OrganisationProfile) -> None:
    org.name = p.name.strip()
    org.kind = p.kind
    org.description = p.description.strip()
    org.contact_email = (p.contact_email or "").strip() or None
    org.contact_phone = (p.contact_phone or "").strip() or None
    org.website = (p.website or "").strip() or None
    areas = session.scalars(select(Area).where(Area.id.in_(p.area_ids))).all()
    if len(areas) != len(set(p.area_ids)):
        raise InvalidInput({"area_ids": "Choose areas from the list"})
    org.areas = sorted(areas, key=lambda a: a.name)


@transactional
def create_organisation(session: Session, profile: OrganisationProfile) -> Organisation:
    """Register a community asset and return it."""
    problems = profile_problems(session, profile)
    if problems:
        raise InvalidInput(problems)
    org = Organisation(slug=unique_slug(session, Organisation, profile.name), name="", kind="")
    session.add(org)
    _write(session, org, profile)
    return org


@transactional
def update_organisation(
    session: Session, org: Organisation, profile: OrganisationProfile
) -> Organisation:
    """Save an organisation's profile (its slug, and so its address, stays the same)."""
    problems = profile_problems(session, profile, exclude_id=org.id)
    if problems:
        raise InvalidInput(problems)
    _write(session, org, profile)
    return org


@transactional
def add_member(session: Session, org: Organisation, email: str, role: str) -> Membership:
    """Make the account with this email a member (or admin) of the organisation."""
    if role not in MEMBER_ROLES:
        raise InvalidInput({"role": "Choose member or admin"})
    user = find_user_by_email(session, email)
    if user is None:
        raise NotFound(
            "There is no account with this email address. Ask them to register first.",
            field="email",
        )
    if user.is_member_of(org.id):
        raise DomainError(f"{user.display_name} is already a member", field="email")
    membership = Membership(user=user, organisation=org, role=role)
    session.add(membership)
    return membership


def remove_member(session: Session, org: Organisation, membership_id: int) -> None:
    """Remove a member from the organisation."""
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != org.id:
        raise NotFound("That person is not a member of this organisation")
    session.delete(membership)
    session.commit()


def list_organisations(session: Session) -> list[Organisation]:
    """Return every organisation by name."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))

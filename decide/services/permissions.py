"""Named permission checks. Every view calls one of these before doing anything.

Roles: every account is a citizen; an asset member belongs to one or more organisations
(Membership, role "member" or "admin"); a panel member sits on one round's panel
(PanelMember); a facilitator (User.is_facilitator) runs rounds; an officer enters paper
ballots. Anonymous visitors pass objects without `id` (Flask-Login's AnonymousUserMixin).
The checks read only the objects they are given, never the request.
"""

from __future__ import annotations

from typing import Any

from decide.models import Organisation, Proposal, Round


def is_signed_in(user: Any) -> bool:
    """Return True for a logged-in, active account."""
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_facilitator(user: Any) -> bool:
    """Return True for a facilitator."""
    return is_signed_in(user) and bool(getattr(user, "is_facilitator", False))


def is_officer(user: Any) -> bool:
    """Return True for an officer (who enters paper ballots) or a facilitator."""
    return is_signed_in(user) and bool(user.is_officer or user.is_facilitator)


def is_panel_member(user: Any, rnd: Round) -> bool:
    """Return True when the user sits on this round's panel."""
    return is_signed_in(user) and rnd.has_panel_member(user.id)


def can_manage_rounds(user: Any) -> bool:
    """Create rounds, edit their settings, change their phase and choose their panel."""
    return is_facilitator(user)


def can_view_round(user: Any, rnd: Round) -> bool:
    """See a round and its proposals: public once it leaves draft."""
    return not rnd.phase.is_draft or is_facilitator(user)


def can_submit_proposal(user: Any, rnd: Round) -> bool:
    """Open the proposal form of a round (the phase rule is checked by the service)."""
    return is_signed_in(user) and can_view_round(user, rnd)


def can_edit_proposal(user: Any, proposal: Proposal) -> bool:
    """Edit a proposal: its author, or a member of the organisation it was made for."""
    if not is_signed_in(user):
        return False
    if proposal.author_id == user.id:
        return True
    return proposal.organisation_id is not None and user.is_member_of(proposal.organisation_id)


def can_see_review(user: Any, rnd: Round) -> bool:
    """See the review table of a round: facilitators and the round's panel."""
    return is_facilitator(user) or is_panel_member(user, rnd)


def can_review_proposals(user: Any, rnd: Round) -> bool:
    """Record feasibility, adjust costs and accept proposals onto the ballot."""
    return is_facilitator(user)


def can_create_organisation(user: Any) -> bool:
    """Register a new community asset."""
    return is_facilitator(user)


def can_edit_organisation(user: Any, organisation: Organisation) -> bool:
    """Edit an organisation's profile: facilitators and the organisation's admins."""
    if is_facilitator(user):
        return True
    if not is_signed_in(user):
        return False
    return any(m.organisation_id == organisation.id and m.role == "admin" for m in user.memberships)


def can_manage_members(user: Any, organisation: Organisation) -> bool:
    """Add or remove an organisation's members."""
    return is_facilitator(user)


def proposing_organisations(user: Any) -> list[Organisation]:
    """Return the organisations the user may propose on behalf of."""
    if not is_signed_in(user):
        return []
    return sorted((m.organisation for m in user.memberships), key=lambda o: o.name)

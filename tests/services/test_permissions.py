"""The named permission checks, on plain objects (no app needed)."""

from __future__ import annotations

from types import SimpleNamespace

from flask_login import AnonymousUserMixin

from decide.models import Membership, Organisation, PanelMember, Proposal, Round, User
from decide.services import permissions as can


def _user(uid, **kw):
    user = User(id=uid, email=f"u{uid}@x.example", display_name="U", **kw)
    user.memberships = []
    return user


def test_roles():
    anon = AnonymousUserMixin()
    citizen = _user(1)
    member = _user(2)
    org = Organisation(id=7, name="Org", slug="org", kind="charity")
    member.memberships = [Membership(user_id=2, organisation_id=7, organisation=org, role="admin")]
    panel = _user(3)
    facilitator = _user(4, is_facilitator=True)
    rnd = Round(id=1, title="R", slug="r", phase="proposals", budget_pence=1)
    rnd.panel = [PanelMember(round_id=1, user_id=3)]
    draft = Round(id=2, title="D", slug="d", phase="draft", budget_pence=1)
    proposal = Proposal(id=1, round=rnd, author_id=2, organisation_id=7)

    assert can.can_view_round(anon, rnd) and not can.can_view_round(anon, draft)
    assert can.can_view_round(facilitator, draft) and not can.can_view_round(panel, draft)
    assert not can.can_submit_proposal(anon, rnd) and can.can_submit_proposal(citizen, rnd)
    assert can.can_edit_proposal(member, proposal) and not can.can_edit_proposal(citizen, proposal)
    assert not can.can_edit_proposal(facilitator, proposal)
    assert can.can_see_review(panel, rnd) and can.can_see_review(facilitator, rnd)
    assert not can.can_see_review(citizen, rnd) and not can.can_see_review(member, rnd)
    assert can.can_review_proposals(facilitator, rnd) and not can.can_review_proposals(panel, rnd)
    assert can.can_edit_organisation(member, org) and not can.can_edit_organisation(citizen, org)
    assert not can.can_manage_members(member, org) and can.can_manage_members(facilitator, org)
    assert can.proposing_organisations(member) == [org] and can.proposing_organisations(anon) == []
    assert not can.is_facilitator(SimpleNamespace(is_authenticated=False, is_facilitator=True))

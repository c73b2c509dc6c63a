"""SQLAlchemy rows, one module per aggregate. Importing this package registers every table."""

from __future__ import annotations

from decide.models.area import Area, Theme
from decide.models.asset import ORGANISATION_KINDS, Organisation
from decide.models.base import Base
from decide.models.proposal import CostLine, Proposal, ProposalVersion
from decide.models.publication import (
    CosignSignature,
    Edition,
    LedgerCheckpoint,
    LedgerPayment,
    PublicationJob,
    RoundClosing,
    RoundManifest,
    SigningKey,
)
from decide.models.round import (
    ALLOCATION_RULES,
    BALLOT_KINDS,
    PHASE_LABELS,
    PHASES,
    PanelMember,
    Project,
    Round,
    RoundLocked,
)
from decide.models.results import EquitySettings, RoundResult
from decide.models.user import Membership, User
from decide.models.voting import (
    CHANNELS,
    ELIGIBILITY_MODES,
    AccessCode,
    AccessCodeBatch,
    Ballot,
    ChainState,
    Participation,
    PostcodeDistrict,
    RoundEligibility,
    VoterRollEntry,
)

__all__ = [
    "CosignSignature",
    "Edition",
    "LedgerCheckpoint",
    "LedgerPayment",
    "PublicationJob",
    "RoundClosing",
    "RoundManifest",
    "SigningKey",
    "CHANNELS",
    "ELIGIBILITY_MODES",
    "AccessCode",
    "AccessCodeBatch",
    "Ballot",
    "ChainState",
    "Participation",
    "PostcodeDistrict",
    "RoundEligibility",
    "VoterRollEntry",
    "ALLOCATION_RULES",
    "BALLOT_KINDS",
    "ORGANISATION_KINDS",
    "PHASES",
    "PHASE_LABELS",
    "Area",
    "Base",
    "CostLine",
    "Membership",
    "Organisation",
    "PanelMember",
    "Project",
    "Proposal",
    "ProposalVersion",
    "Round",
    "RoundResult",
    "EquitySettings",
    "RoundLocked",
    "Theme",
    "User",
]

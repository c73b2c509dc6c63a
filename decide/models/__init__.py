"""SQLAlchemy rows, one module per aggregate. Importing this package registers every table."""

from __future__ import annotations

from decide.models.area import Area, Theme
from decide.models.asset import ORGANISATION_KINDS, Organisation
from decide.models.base import Base
from decide.models.limits import ValueDoesNotFit  # also registers the listeners
from decide.models.phase import PHASE_LABELS, PHASES, Phase
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
from decide.models.register import PaperBatch, PaperNumber, RollBinding
from decide.models.results import EquitySettings, RoundResult
from decide.models.round import (
    ALLOCATION_RULES,
    BALLOT_KINDS,
    PanelMember,
    Project,
    Round,
    RoundLocked,
)
from decide.models.user import LoginSession, Membership, User
from decide.models.voting import (
    CHANNELS,
    ELIGIBILITY_MODES,
    AccessCode,
    AccessCodeBatch,
    Ballot,
    BoardEntry,
    ChainState,
    Participation,
    PostcodeArea,
    RoundEligibility,
    SealedBallot,
    VoterRollEntry,
)

__all__ = [
    "ALLOCATION_RULES",
    "BALLOT_KINDS",
    "CHANNELS",
    "ELIGIBILITY_MODES",
    "ORGANISATION_KINDS",
    "PHASES",
    "PHASE_LABELS",
    "AccessCode",
    "AccessCodeBatch",
    "Area",
    "Ballot",
    "Base",
    "BoardEntry",
    "ChainState",
    "CosignSignature",
    "CostLine",
    "Edition",
    "EquitySettings",
    "LedgerCheckpoint",
    "LedgerPayment",
    "LoginSession",
    "Membership",
    "Organisation",
    "PanelMember",
    "PaperBatch",
    "PaperNumber",
    "Participation",
    "Phase",
    "PostcodeArea",
    "Project",
    "Proposal",
    "ProposalVersion",
    "PublicationJob",
    "RollBinding",
    "Round",
    "RoundClosing",
    "RoundEligibility",
    "RoundLocked",
    "RoundManifest",
    "RoundResult",
    "SealedBallot",
    "SigningKey",
    "Theme",
    "User",
    "ValueDoesNotFit",
    "VoterRollEntry",
]

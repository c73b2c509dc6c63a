"""The tally document: what the PDF tally (audits/pdf.py) and its HTML twin print, and
the files a published round attaches."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from audits.annex import DeliveryAnnex

ATTACHMENT_NAMES = (
    "manifest.json",
    "ballots.pb",
    "signatures.json",
    "keys.json",
    "ledger.json",
    "board.json",
    "delivery.json",
)


# Rounds imported from a file, and records made before the sealed box, have no board.json.
# delivery.json (the delivery annex, issue 16) is written with editions that have one.
OPTIONAL_ATTACHMENTS = frozenset({"board.json", "delivery.json"})


LAYOUT = "decide-tally/v1"


@dataclass(frozen=True)
class ResultRow:
    """One project's line in the results table (money in minor units)."""

    project_id: str
    name: str
    organisation: str
    area: str
    support: int
    cost: Fraction
    funded: bool
    amount: Fraction
    paid: int = 0


@dataclass(frozen=True)
class AreaFunds:
    """Funds allocated to one area, with its deprivation decile (1 = most deprived)."""

    area: str
    decile: int | None
    amount: Fraction


@dataclass(frozen=True)
class SignerLine:
    """A co-signer and their signature on the manifest."""

    name: str
    public_key: str
    signature: str
    role: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class TallyDocument:
    """Everything the PDF shows, as plain values; `audits.edition` fills it from the files."""

    round_id: str
    title: str
    currency: str
    budget: Fraction
    rule_name: str
    rule_description: str
    tie_break: str
    ballot_description: str
    ballot_count: int
    ballots_by_channel: tuple[tuple[str, int], ...]
    support_label: str
    rows: tuple[ResultRow, ...]
    areas: tuple[AreaFunds, ...]
    merkle_root: str
    chain_head: str
    manifest_digest: str
    threshold: int
    key_count: int
    signers: tuple[SignerLine, ...]
    aggregate_signature: str
    attachments: tuple[tuple[str, bytes], ...]
    edition: str = "1"
    ledger_summary: str = ""
    publication_date: str = ""
    rule_change: str = ""
    add1: str = ""
    threshold_reason: str = ""
    ledger_head: str = ""
    ledger_count: int = 0
    software_version: str = ""
    software_commit: str = ""
    software_repository: str = ""
    verifier_archive_sha256: str = ""
    annex: DeliveryAnnex | None = None
    # (number, ISO date) of the ledger checkpoint that co-signed the annex: its figures date
    # from then (from ledger.json; the last co-signed checkpoint).
    annex_checkpoint: tuple[int, str] | None = None


ROLE_WORDS = {"panel": "panel member", "official": "official"}

"""What a PDF edition prints, computed from its attached files alone.

`document_from_files` is the one function from the attachments (manifest.json, keys.json,
signatures.json, ledger.json, ballots.pb) to the `audits.pdf.TallyDocument` that is rendered.
Publishing calls it to write the PDF, and ``decide-verify`` calls it to re-render the pages
and compare them byte for byte, so every printed word and figure follows from signed data:

- the rule, its words, the rule fixed at voting and the reason for a change, the tie-break,
  Add1's k, projects, tally, allocation, area deciles, the fonts (``rendering``) and the
  verifier's version and archive hash come from the manifest (signed by the panel);
- the edition number is 1 plus the number of co-signed checkpoints in ledger.json, and its date
  is the last checkpoint's date (each signed by the panel), or the manifest's
  ``publication_date`` for edition 1;
- the signers, their roles and fingerprints come from signatures.json and keys.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from audits.annex import ANNEX_NAME, DeliveryAnnex
from audits.bls import PublicKeyRecord, SignatureRecord, aggregate
from audits.canonical import parse_canonical
from audits.ledger import Ledger
from audits.manifest import Manifest
from audits.pdf import ATTACHMENT_NAMES, AreaFunds, ResultRow, SignerLine, TallyDocument
from audits.recompute import rules_from_dict
from audits.words import RULE_DESCRIPTIONS, add1_words, rule_words
from ballots.model import Instance, Project
from ballots.rules import describe
from ballots.wording import money as format_money

__all__ = ["SUPPORT_LABELS", "document_from_files", "edition_of", "rule_change_words"]

SUPPORT_LABELS: Mapping[str, str] = {"cumulative": "Points", "ranked": "Borda score"}


def edition_of(manifest: Manifest, ledger: Ledger) -> tuple[int, str]:
    """Return the edition number and its date: one more than the co-signed checkpoints."""
    if ledger.checkpoints:
        return len(ledger.checkpoints) + 1, ledger.checkpoints[-1].checkpoint.date
    return 1, manifest.publication_date


def rule_change_words(m: Manifest) -> str:
    """Say whether the confirmed rule is the one fixed when voting opened, and if not, why."""
    at_voting = m.rule_at_voting or m.rule
    if at_voting == m.rule:
        return "This is the rule that was fixed when voting opened."
    return (
        f"The rule fixed when voting opened was {rule_words(at_voting, {})}; the facilitator "
        f"confirmed {m.rule_words or m.rule} instead, giving this public reason: "
        f"\u201c{m.rule_change_reason}\u201d"
    )


def _keys(files: Mapping[str, bytes]) -> tuple[PublicKeyRecord, ...]:
    obj = parse_canonical(files["keys.json"])
    return tuple(PublicKeyRecord.from_dict(k) for k in obj["keys"])


def _signatures(files: Mapping[str, bytes]) -> tuple[SignatureRecord, ...]:
    obj = parse_canonical(files["signatures.json"])
    return tuple(SignatureRecord.from_dict(s) for s in obj["signatures"])


def _support(tally: Mapping[str, Any], pid: str, kind: str) -> int:
    row = tally.get("projects", {}).get(pid, {})
    key = {"cumulative": "points", "ranked": "borda"}.get(kind, "approvals")
    return int(row.get(key, 0))


def _ledger_words(m: Manifest, ledger: Ledger, edition: int) -> str:
    money = sum(e.amount_pence for e in ledger.entries)
    if not ledger.entries:
        base = "No payments are recorded in this edition."
    else:
        base = (
            f"This edition covers {len(ledger.entries)} payment"
            f"{'s' if len(ledger.entries) != 1 else ''}, "
            f"{format_money(money, m.currency)} in total"
        )
        if ledger.checkpoints:
            last = ledger.checkpoints[-1].checkpoint
            base += (
                f", up to the ledger head co-signed by the panel in checkpoint "
                f"{len(ledger.checkpoints)} on {last.date}."
            )
        else:
            base += "."
    if edition > 1 or ledger.entries:
        uncovered = len(ledger.entries) - ledger.covered_count
        if uncovered > 0:
            base += f" {uncovered} of them are not yet covered by a co-signed checkpoint."
    return base


def document_from_files(files: Mapping[str, bytes]) -> TallyDocument:
    """Return what the PDF prints for these attachments; raise ValueError if they are unusable."""
    try:
        m = Manifest.from_json_bytes(files["manifest.json"])
        keys = _keys(files)
        sigs = _signatures(files)
        ledger = Ledger.from_json_bytes(files["ledger.json"])
    except KeyError as exc:
        raise ValueError(f"missing attachment {exc}") from exc
    edition, date = edition_of(m, ledger)
    kind = str(m.ballot.get("kind", ""))
    rules = rules_from_dict(m.ballot)
    instance = Instance(
        m.budget,
        tuple(
            Project(p.id, p.cost, p.name, {"organisation": p.organisation, "area": p.area})
            for p in m.projects
        ),
    )
    paid: dict[str, int] = {}
    for e in ledger.entries:
        paid[e.project_id] = paid.get(e.project_id, 0) + e.amount_pence
    rows = tuple(
        ResultRow(
            p.id,
            p.name,
            p.organisation,
            p.area,
            _support(m.tally, p.id, kind),
            p.cost,
            p.id in m.allocation,
            m.allocation.get(p.id, Fraction(0)),
            paid.get(p.id, 0),
        )
        for p in m.projects
    )
    area_totals: dict[str, Fraction] = {}
    for p in m.projects:
        area_totals.setdefault(p.area, Fraction(0))
        area_totals[p.area] += m.allocation.get(p.id, Fraction(0))
    areas = tuple(
        AreaFunds(a or "(no area)", m.area_deciles.get(a), amount)
        for a, amount in sorted(area_totals.items())
    )
    by_key = {k.public_key: k for k in keys}
    signers = tuple(
        SignerLine(
            s.signer,
            s.public_key.hex(),
            s.signature.hex(),
            by_key[s.public_key].role if s.public_key in by_key else "",
            PublicKeyRecord(s.signer, s.public_key, b"").fingerprint,
        )
        for s in sigs
    )
    ledger_head = ledger.head.hex()
    annex = DeliveryAnnex.from_json_bytes(files[ANNEX_NAME]) if ANNEX_NAME in files else None
    annex_checkpoint = None
    if annex is not None and ledger.checkpoints:  # the checkpoint that co-signed the annex
        annex_checkpoint = (len(ledger.checkpoints), ledger.checkpoints[-1].checkpoint.date)
    return TallyDocument(
        round_id=m.round_id,
        title=m.title,
        currency=m.currency,
        budget=m.budget,
        rule_name=m.rule_words or m.rule,
        rule_description=RULE_DESCRIPTIONS.get(m.rule, ""),
        tie_break=m.tie_break_words,
        ballot_description=" ".join(describe(rules, instance)),
        ballot_count=m.ballot_count,
        ballots_by_channel=tuple(sorted(m.ballots_by_channel.items())),
        support_label=SUPPORT_LABELS.get(kind, "Votes"),
        rows=rows,
        areas=areas,
        merkle_root=m.merkle_root,
        chain_head=m.chain_head,
        manifest_digest=m.digest_hex(),
        threshold=m.threshold,
        key_count=len(keys),
        signers=signers,
        aggregate_signature=aggregate([s.signature for s in sigs]).hex() if sigs else "",
        attachments=tuple((n, files[n]) for n in ATTACHMENT_NAMES if n in files),
        edition=str(edition),
        ledger_summary=_ledger_words(m, ledger, edition),
        publication_date=date,
        rule_change=rule_change_words(m),
        annex=annex,
        annex_checkpoint=annex_checkpoint,
        add1=add1_words(m.add1, m.currency),
        threshold_reason=m.threshold_reason,
        ledger_head=ledger_head,
        ledger_count=len(ledger.entries),
        software_version=m.software_version,
        software_commit=m.software_commit,
        software_repository=m.software_repository,
        verifier_archive_sha256=m.verifier_archive_sha256,
    )

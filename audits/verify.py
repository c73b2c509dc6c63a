"""``decide-verify``: check a published round from its PDF (or a folder of its files) alone.

Usage::

    decide-verify FILE.pdf|FOLDER [--keys KEYS.json] [--receipt RECEIPT.json]
                  [--ledger-head HEX] [--with-pabutools]
    decide-verify --source-archive FILE.tar | --source-listing

It prints what the manifest decided (rules, reason for a change, Add1's k, the tie-break,
the software), then numbered checks, each PASS, WARN, FAIL or SKIP with a reason, and exits:

- 0: ALL CHECKS PASSED, against keys you pinned with ``--keys``;
- 3: every check passed, but trust is incomplete: no keys were pinned ("the signatures are
  consistent, but anyone could have made them: pin the panel's keys"), or payments in the
  ledger lie outside every co-signed checkpoint (they are listed);
- 1: a check failed;
- 2: the input cannot be used at all (no such file, not a PDF, a malformed --keys or
  --receipt file, a malformed --ledger-head).

1. attachments present; their digests match the manifest and the digests printed on the page;
   ballots.pb states the manifest's budget and projects
2. every ballot in ballots.pb is valid under the round's rules; no tracker repeats; counts match
3. chain head and Merkle root recomputed from ballots.pb; with board.json, the commitment
   board's root (the manifest's "board_root"), its length and its tracker order
4. tally recomputed
5. allocation recomputed with the named rule and parameters (decide.allocation)
6. every key's proof of possession; each signature; the k-of-n threshold; the aggregate;
   keys match the pinned --keys when given
   (WARN when no keys are pinned)
7. ledger chain intact; payments per project <= allocation; payees are the projects'
   organisations; checkpoint signatures; each checkpoint names the one before; with
   --ledger-head, a co-signed checkpoint has that head (WARN for payments after the last
   checkpoint)
8. with --receipt: the receipt's server signature, and its tracker and commitment on the
   commitment board, included under the board root
9. the printed pages: re-rendered from the attached files with the fonts and layout the
   manifest names, byte for byte; the first page and line that differ are reported (in
   folder mode the folder's tally.html is re-rendered instead; SKIP without one)
10. with --with-pabutools: pabutools recomputes greedy, Phragmén or equal shares (at Add1's
   k and k+1, completed by greedy) and agrees (SKIP otherwise)

Check 5 also checks the manifest's words against its data: the rule and tie-break in words,
Add1's k, and that a rule other than the one fixed at voting comes with a public reason.

`verify_bundle` and `verify_pdf` return the same checks for the web auditor page.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from audits import recompute
from audits.archive import source_archive, source_archive_sha256, source_files, source_root
from audits.bls import PublicKeyRecord, SignatureRecord, check_cosigned
from audits.board import BoardLine, board_leaf, parse_board
from audits.bundle import KEYS_TYPE, SIGNATURES_TYPE
from audits.canonical import CanonicalJSONError, parse_canonical, parse_json, sha256_hex, unhex
from audits.chain import ChainCheck, ChainEntry, verify_chain
from audits.edition import document_from_files
from audits.ledger import Ledger, LedgerEntry, LedgerError, ledger_genesis, verify_ledger
from audits.manifest import Manifest
from audits.merkle import MerkleTree, verify_inclusion
from audits.pdf import (
    ATTACHMENT_NAMES,
    LAYOUT,
    OPTIONAL_ATTACHMENTS,
    compare_pdfs,
    printed_digests,
    read_attachments,
    render_pdf,
)
from audits.receipts import SignedReceipt, verify_receipt
from audits.typeface import font_digests
from audits.words import rule_words, tie_break_words
from ballots.model import Instance, Profile, Project
from ballots.pabulib import PbFile, parse
from ballots.wording import money as format_money
from ballots.wording import plural
from decide.allocation.names import rule_name

__all__ = [
    "NOT_PINNED",
    "THRESHOLD_NOT_PINNED",
    "TITLES",
    "Check",
    "PinnedKeys",
    "UnusableInput",
    "Verdict",
    "load_pinned_keys",
    "main",
    "quick_checks",
    "read_folder",
    "verdict",
    "verify_bundle",
    "verify_pdf",
]

TITLES: Mapping[int, str] = {
    1: "attachments present and digests match",
    2: "every ballot valid, no tracker repeats",
    3: "chain head and Merkle root recomputed",
    4: "tally recomputed",
    5: "allocation recomputed",
    6: "keys, signatures and threshold",
    7: "ledger",
    8: "receipt",
    9: "printed pages match the attached files",
    10: "second opinion from pabutools",
}
# Rounds need 2 signers unless they state why 1 is enough (issue 13).
DEFAULT_THRESHOLD = 2
THRESHOLD_NOT_PINNED = (
    "the pinned keys state no threshold, and k={k} from the manifest is below the default of 2, "
    "which its one signer could have set alone: pin the round's keys.json, which states k"
)
NOT_PINNED = "the signatures are consistent, but anyone could have made them: pin the panel's keys"


class UnusableInput(ValueError):
    """Input that cannot be verified at all (exit status 2)."""


class _Fail(Exception):
    """A check failed; the message is the reason."""


@dataclass(frozen=True)
class Check:
    """One numbered check: PASS, WARN, FAIL or SKIP, with a reason.

    WARN means the check found nothing wrong but cannot vouch for the result on its own:
    keys that nobody pinned, or payments outside every co-signed checkpoint.
    """

    number: int
    title: str
    status: str
    reason: str

    @property
    def ok(self) -> bool:
        """Return whether this check does not fail (PASS, WARN or SKIP)."""
        return self.status != "FAIL"

    def line(self) -> str:
        """Return the check as the CLI prints it."""
        return f"{self.number}. {self.status} {self.title}: {self.reason}"


@dataclass
class _State:
    files: Mapping[str, bytes]
    manifest: Manifest | None = None
    pb: PbFile | None = None
    instance: Instance | None = None
    profile: Profile | None = None
    chain: ChainCheck | None = None
    keys: tuple[PublicKeyRecord, ...] | None = None
    pb_error: str = ""
    outcome: recompute.Allocation | None = None
    uncovered: tuple[LedgerEntry, ...] = ()
    quick: bool = False
    board: tuple[BoardLine, ...] | None = None
    board_leaves: list[bytes] = field(default_factory=list)


class _Warn(Exception):
    """A check found nothing wrong but cannot vouch on its own; the message says why."""


class _Skip(Exception):
    """A check that had nothing to compare; the message says why."""


def _run(number: int, fn: Callable[[], str]) -> Check:
    try:
        reason = fn()
    except _Warn as exc:
        return Check(number, TITLES[number], "WARN", str(exc))
    except _Skip as exc:
        return Check(number, TITLES[number], "SKIP", str(exc))
    except _Fail as exc:
        return Check(number, TITLES[number], "FAIL", str(exc))
    except MemoryError:
        # Running out of memory says nothing about the files: the caller reports it.
        raise
    except Exception as exc:
        # Hostile files must never crash the verifier: whatever breaks a check fails it.
        reason = f"malformed input ({type(exc).__name__}: {exc})"
        return Check(number, TITLES[number], "FAIL", reason)
    return Check(number, TITLES[number], "PASS", reason)


def _need(value: Any, what: str) -> Any:
    # Only ever missing because an earlier check failed: that check is the one to report.
    if value is None:
        raise _Skip(f"not checked: {what}")
    return value


def _check_files(st: _State, printed: Mapping[str, str] | None) -> str:
    missing = [n for n in ATTACHMENT_NAMES if n not in st.files and n not in OPTIONAL_ATTACHMENTS]
    problems = []
    if missing:
        problems.append(f"missing attachment(s): {', '.join(missing)}")
    if "manifest.json" in st.files:
        try:
            st.manifest = Manifest.from_json_bytes(st.files["manifest.json"])
        except ValueError as exc:
            problems.append(str(exc))
    m = st.manifest
    if m is not None:
        for name, digest in sorted(m.files.items()):
            if name in st.files and sha256_hex(st.files[name]) != digest:
                problems.append(f"{name} does not have the SHA-256 the manifest states")
        for name in ("ballots.pb", "keys.json"):
            if name not in m.files:
                problems.append(f"the manifest does not state the SHA-256 of {name}")
    if printed is not None:
        for name, data in sorted(st.files.items()):
            if name not in printed:
                problems.append(f"no digest is printed on the page for {name}")
            elif printed[name] != sha256_hex(data):
                problems.append(f"the digest printed for {name} differs from the attachment")
        for name in sorted(set(printed) - set(st.files)):
            problems.append(f"a digest is printed for {name}, which is not attached")
    if "ballots.pb" in st.files and not st.quick:
        # A file that does not parse is reported by check 2 (the ballots), not here.
        try:
            st.pb = parse(st.files["ballots.pb"].decode("utf-8"))
        except UnicodeDecodeError as exc:
            st.pb_error = f"ballots.pb is not UTF-8: {exc}"
        except ValueError as exc:
            st.pb_error = f"ballots.pb cannot be read: {exc}"
            if "voter id" in str(exc) and "appears twice" in str(exc):
                st.pb_error += " (a tracker repeats)"
    if m is not None and st.pb is not None:
        pb_inst = st.pb.instance
        if pb_inst.budget != m.budget:
            problems.append(f"ballots.pb states budget {pb_inst.budget}, the manifest {m.budget}")
        pb_costs = [(p.id, p.cost) for p in pb_inst.projects]
        m_costs = [(p.id, p.cost) for p in m.projects]
        if pb_costs != m_costs:
            problems.append("ballots.pb lists other projects or costs than the manifest")
        if pb_inst.meta.get("round", "").strip() != m.round_id:
            problems.append("ballots.pb belongs to another round")
        st.instance = Instance(
            m.budget,
            tuple(
                Project(p.id, p.cost, p.name, {"organisation": p.organisation, "area": p.area})
                for p in m.projects
            ),
        )
    if problems:
        raise _Fail("; ".join(problems))
    where = "page and manifest" if printed is not None else "manifest (folder: no page)"
    return f"{len(st.files)} files; digests match the {where}"


def _check_ballots(st: _State) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    if st.pb_error:
        raise _Fail(st.pb_error)
    pb = _need(st.pb, "ballots.pb missing")
    instance = _need(st.instance, "ballots.pb does not match the manifest")
    try:
        rules = recompute.rules_from_dict(m.ballot)
    except ValueError as exc:
        raise _Fail(f"the manifest's ballot rules are not valid: {exc}") from exc
    if pb.profile.vote_type != rules.vote_type:
        raise _Fail(f"ballots.pb holds {pb.profile.vote_type} ballots, the round uses {rules.kind}")
    seen: set[str] = set()
    channels: dict[str, int] = {}
    for position, b in enumerate(pb.profile.ballots, start=1):
        tracker = b.voter_id
        if len(tracker) != 32 or tracker != tracker.lower() or not _is_hex(tracker):
            raise _Fail(f"ballot {position}: tracker {tracker!r} is not 32 lowercase hex")
        if tracker in seen:
            raise _Fail(f"tracker {tracker} repeats (ballot {position})")
        seen.add(tracker)
        msgs = recompute.violations(b, rules, instance)
        if msgs:
            raise _Fail(f"ballot {position} (tracker {tracker}) is not valid: {msgs[0]}")
        channel = b.fields.get("channel", "")
        channels[channel] = channels.get(channel, 0) + 1
    n = len(pb.profile.ballots)
    if n != m.ballot_count:
        raise _Fail(f"ballots.pb holds {n} ballots, the manifest says {m.ballot_count}")
    if channels != dict(m.ballots_by_channel):
        raise _Fail(f"ballots by channel {channels} differ from the manifest's")
    st.profile = Profile(pb.profile.vote_type, pb.profile.ballots)
    return f"{n} ballots valid under the {rules.kind} rules; {n} distinct trackers"


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def _check_chain(st: _State) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    pb = _need(st.pb, "ballots.pb unusable")
    entries = []
    for position, b in enumerate(pb.profile.ballots, start=1):
        try:
            seq = int(b.fields.get("sequence", ""))
            tracker = bytes.fromhex(b.voter_id)
            data = recompute.ballot_bytes(str(m.ballot.get("kind")), b)
        except ValueError as exc:
            raise _Fail(f"ballot {position}: {exc}") from exc
        entries.append(ChainEntry(seq, tracker, data))
    chain = verify_chain(m.round_id, entries)
    if not chain.ok:
        raise _Fail(f"chain breaks at sequence {chain.first_bad_sequence}: {chain.reason}")
    st.chain = chain
    if chain.head.hex() != m.chain_head:
        raise _Fail("the recomputed chain head differs from the manifest's")
    root = MerkleTree(chain.leaves).root
    if root.hex() != m.merkle_root:
        raise _Fail("the recomputed Merkle root differs from the manifest's")
    board = _check_commitment_board(st, m)
    return f"head {m.chain_head[:16]}…, root {m.merkle_root[:16]}… over {chain.count} leaves{board}"


def _check_commitment_board(st: _State, m: Manifest) -> str:
    """Check board.json against the manifest: root, length, order; '' when there is none."""
    root = m.extra.get("board_root")
    if "board.json" not in st.files:
        if root is not None:
            raise _Fail("the manifest names a board root but board.json is missing")
        return ""
    if root is None or "board.json" not in m.files:
        raise _Fail("board.json is attached but the manifest does not name its root and digest")
    try:
        lines = parse_board(st.files["board.json"], m.round_id)
    except ValueError as exc:
        raise _Fail(str(exc)) from None
    if len(lines) != m.ballot_count:
        raise _Fail(f"board.json has {len(lines)} lines, the manifest {m.ballot_count} ballots")
    leaves = [board_leaf(m.round_id, i, x.tracker, x.commitment) for i, x in enumerate(lines, 1)]
    if MerkleTree(leaves).root.hex() != root:
        raise _Fail("the commitment board's Merkle root differs from the manifest's board_root")
    st.board = lines
    st.board_leaves = leaves
    return f"; commitment board root {root[:16]}… over {len(lines)} lines"


def _check_tally(st: _State) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    instance = _need(st.instance, "ballots.pb does not match the manifest")
    profile = _need(st.profile, "the ballots did not pass check 2")
    rules = recompute.rules_from_dict(m.ballot)
    try:
        counted = recompute.tally_json(instance, profile, rules)
    except ValueError as exc:
        raise _Fail(f"cannot count the ballots: {exc}") from exc
    if counted != m.tally:
        diff = [
            pid
            for pid in sorted(set(counted.get("projects", {})) | set(m.tally.get("projects", {})))
            if counted.get("projects", {}).get(pid) != m.tally.get("projects", {}).get(pid)
        ]
        where = f"projects {', '.join(diff[:5])}" if diff else "totals"
        raise _Fail(f"the recomputed tally differs from the manifest's ({where})")
    return f"tally of {counted.get('ballots')} ballots matches"


def _check_allocation(st: _State) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    instance = _need(st.instance, "ballots.pb does not match the manifest")
    profile = _need(st.profile, "the ballots did not pass check 2")
    spent = sum(m.allocation.values(), Fraction(0))
    if spent > m.budget:
        raise _Fail(f"the allocation spends {spent}, more than the budget {m.budget}")
    try:
        outcome = recompute.allocation(m.rule, instance, profile, m.rule_parameters, m.tie_break)
    except recompute.RuleUnavailable as exc:
        raise _Fail(f"rule not available: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise _Fail(f"the rule {m.rule!r} cannot run on these parameters: {exc}") from exc
    amounts = outcome.amounts
    if dict(amounts) != dict(m.allocation):
        changed = sorted(set(amounts) ^ set(m.allocation)) or sorted(
            pid for pid in amounts if amounts[pid] != m.allocation.get(pid)
        )
        raise _Fail(
            f"recomputing {m.rule!r} gives another allocation (differs on {', '.join(changed[:5])})"
        )
    if outcome.add1 != (None if m.add1 is None else dict(m.add1)):
        raise _Fail(
            f"Add1's final step differs: the manifest records {_add1_text(m.add1)}, "
            f"recomputing gives {_add1_text(outcome.add1)}"
        )
    _check_decision_words(m)
    st.outcome = outcome
    money = format_money(spent, m.currency), format_money(m.budget, m.currency)
    extra = f"; Add1 k={outcome.add1['k']}" if outcome.add1 else ""
    funded = plural(len(amounts), "project")
    return f"{rule_name(m.rule)}: {funded} funded, {money[0]} of {money[1]} spent{extra}"


def _add1_text(add1: Mapping[str, Any] | None) -> str:
    if not add1:
        return "no Add1"
    return f"k={add1.get('k')}, step {add1.get('step')}, {add1.get('budget_per_voter')} per voter"


def _check_decision_words(m: Manifest) -> None:
    """Fail unless the manifest's words say what its data says (rule, tie-break, change)."""
    if m.rule_words != rule_words(m.rule, m.rule_parameters):
        raise _Fail(
            f"the manifest words the rule as {m.rule_words!r}, but its data "
            f"({m.rule!r}) is {rule_words(m.rule, m.rule_parameters)!r}"
        )
    if m.tie_break_words != tie_break_words(m.tie_break):
        raise _Fail("the manifest's tie-break in words does not match its tie-break data")
    if not m.rule_at_voting:
        raise _Fail("the manifest does not state the rule fixed when voting opened")
    if m.rule_at_voting != m.rule and not m.rule_change_reason.strip():
        raise _Fail(
            f"the confirmed rule {m.rule!r} differs from the rule fixed at voting "
            f"({m.rule_at_voting!r}) and the manifest gives no public reason"
        )
    if m.rule_at_voting == m.rule and m.rule_change_reason:
        raise _Fail("the manifest gives a reason for a rule change that did not happen")


@dataclass(frozen=True)
class PinnedKeys:
    """Keys an auditor trusts, and the threshold k they expect (None: not stated)."""

    keys: tuple[PublicKeyRecord, ...]
    threshold: int | None = None


def _load_keys(data: bytes, name: str) -> PinnedKeys:
    try:
        obj = parse_json(data)
        threshold = None
        if isinstance(obj, dict) and obj.get("type") == KEYS_TYPE:
            items = obj["keys"]
            threshold = obj.get("threshold")
            if threshold is not None and (
                isinstance(threshold, bool) or not isinstance(threshold, int)
            ):
                raise ValueError("threshold must be an integer")
        elif isinstance(obj, list):
            items = obj
        else:
            items = [obj]
        return PinnedKeys(tuple(PublicKeyRecord.from_dict(k) for k in items), threshold)
    except (CanonicalJSONError, ValueError, KeyError, TypeError) as exc:
        raise _Fail(f"{name} is not a list of public keys: {exc}") from exc


def _check_signatures(st: _State, pinned: PinnedKeys | None) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    published = _load_keys(_need(st.files.get("keys.json"), "keys.json missing"), "keys.json")
    keys = published.keys
    st.keys = keys
    if published.threshold is not None and published.threshold != m.threshold:
        raise _Fail(f"keys.json states k={published.threshold}, the manifest k={m.threshold}")
    if m.threshold > len(keys):
        raise _Fail(f"threshold k={m.threshold} is more than the {len(keys)} registered keys")
    notes = []
    if pinned is not None:
        pinned_set = {k.public_key for k in pinned.keys}
        for k in keys:
            if k.public_key not in pinned_set:
                raise _Fail(f"key of {k.name!r} is not one of the pinned keys")
        notes.append("keys match the pinned keys")
        # A colluding minority could lower k in the manifest and sign it alone.
        if pinned.threshold is not None and m.threshold < pinned.threshold:
            raise _Fail(
                f"the manifest lowers the threshold to k={m.threshold}; the pinned keys "
                f"require k={pinned.threshold}"
            )
    try:
        obj = parse_canonical(_need(st.files.get("signatures.json"), "signatures.json missing"))
        if obj.get("type") != SIGNATURES_TYPE:
            raise ValueError(f"type must be {SIGNATURES_TYPE!r}")
        sigs = [SignatureRecord.from_dict(s) for s in obj["signatures"]]
        agg = unhex(obj["aggregate"], 96, "aggregate") if obj["aggregate"] else None
        stated = obj["manifest"]
        if set(obj) != {"type", "round", "manifest", "signatures", "aggregate"}:
            raise ValueError("unexpected fields")
    except (CanonicalJSONError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _Fail(f"signatures.json is malformed: {exc}") from exc
    if stated != m.digest_hex() or obj["round"] != m.round_id:
        raise _Fail("signatures.json names another manifest or round")
    ok, reason = check_cosigned(m.digest(), "decide-manifest/v1", sigs, agg, keys, m.threshold)
    if not ok:
        raise _Fail(reason)
    if m.threshold < 2 and not m.threshold_reason.strip():
        raise _Fail(f"a threshold of k={m.threshold} needs a stated reason; the manifest has none")
    by_key = {k.public_key: k for k in keys}
    if sigs and all(by_key[s.public_key].role == "official" for s in sigs):
        raise _Fail("only officials signed: the panel must sign too, never the facilitator alone")
    signers = ", ".join(
        f"{s.signer} ({by_key[s.public_key].role or 'no role'}, {by_key[s.public_key].fingerprint})"
        for s in sigs
    )
    text = f"{reason}; every proof of possession valid; signed by {signers}"
    if pinned is None:
        raise _Warn(f"{text}. Note: {NOT_PINNED}")
    if pinned.threshold is None and m.threshold < DEFAULT_THRESHOLD:
        # Members' own key files state no threshold. A manifest asking for fewer signers than
        # the default could have been lowered by the very signer it counts (outside review:
        # one member alone passed); without a pinned k it is only consistent.
        note = THRESHOLD_NOT_PINNED.format(k=m.threshold)
        raise _Warn(f"{text}; keys match the pinned keys. Note: {note}")
    if pinned.threshold is None:
        notes.append(f"k={m.threshold} from the manifest (the pinned keys state none)")
    return f"{text}; " + "; ".join(notes)


def _check_ledger(st: _State, ledger_head: bytes | None = None) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    try:
        ledger = Ledger.from_json_bytes(_need(st.files.get("ledger.json"), "ledger.json missing"))
    except LedgerError as exc:
        raise _Fail(str(exc)) from exc
    if ledger.round_id != m.round_id:
        raise _Fail(f"ledger.json belongs to round {ledger.round_id!r}")
    organisations = {p.id: p.organisation for p in m.projects}
    result = verify_ledger(ledger, allocation=m.allocation, organisations=organisations)
    if not result.ok:
        raise _Fail(result.reason)
    if ledger.checkpoints:
        keys = _need(st.keys, "keys.json unusable")
        for i, c in enumerate(ledger.checkpoints, start=1):
            if c.checkpoint.manifest_digest != m.digest():
                raise _Fail(f"checkpoint {i} names another manifest")
            ok, reason = check_cosigned(
                c.checkpoint.digest(),
                "decide-ledger-checkpoint/v1",
                c.signatures,
                c.aggregate,
                keys,
                m.threshold,
            )
            if not ok:
                raise _Fail(f"checkpoint {i}: {reason}")
    reason = result.reason
    if ledger_head is not None:
        heads = {c.checkpoint.head for c in ledger.checkpoints} | {ledger_genesis(m.round_id)}
        if ledger_head not in heads:
            raise _Fail(
                f"no co-signed checkpoint in this ledger has the head {ledger_head.hex()} you "
                "kept: the ledger was rolled back or a checkpoint was removed"
            )
        reason += f"; the head you kept ({ledger_head.hex()[:16]}…) is co-signed here"
    if result.uncovered:
        st.uncovered = result.uncovered
        raise _Warn(
            f"{reason}; {len(result.uncovered)} payment"
            f"{'s are' if len(result.uncovered) != 1 else ' is'} outside any co-signed "
            "checkpoint: " + "; ".join(_payment_text(e, m.currency) for e in result.uncovered)
        )
    return reason


def _payment_text(e: LedgerEntry, currency: str) -> str:
    return (
        f"payment {e.sequence} on {e.date}, {format_money(e.amount_pence, currency)} to "
        f"project {e.project_id} ({e.organisation})"
    )


def _check_html(st: _State, html: bytes) -> str:
    from audits.html import HTML_NAME, render_html

    _need(st.manifest, "manifest.json unusable")
    try:
        expected = render_html(document_from_files(st.files))
    except (ValueError, KeyError, TypeError) as exc:
        raise _Fail(f"the attached files cannot be rendered: {exc}") from exc
    if html == expected:
        return f"{HTML_NAME} re-rendered byte for byte ({len(html):,} bytes)"
    ours = html.decode("utf-8", "replace").splitlines()
    theirs = expected.decode("utf-8").splitlines()
    for i in range(max(len(ours), len(theirs))):
        a = ours[i] if i < len(ours) else ""
        b = theirs[i] if i < len(theirs) else ""
        if a != b:
            # Quote from just before the first differing character, not the line's start.
            col = next((j for j, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                       min(len(a), len(b)))  # fmt: skip
            start = max(0, col - 40)
            raise _Fail(
                f"{HTML_NAME} is not what the files give: line {i + 1}, column {col + 1} reads "
                f"{a[start : col + 80]!r} where the attached files give {b[start : col + 80]!r}"
            )
    raise _Fail(f"{HTML_NAME} differs from the re-rendering in its line endings or encoding")


def _check_pages(st: _State, pdf: bytes) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    rendering = dict(m.rendering)
    if rendering.get("layout") != LAYOUT:
        raise _Fail(
            f"the manifest names the layout {rendering.get('layout')!r}; this verifier renders "
            f"{LAYOUT!r} (get the verifier of {m.software_version}, commit {m.software_commit})"
        )
    fonts = rendering.get("fonts")
    if fonts != font_digests():
        raise _Fail(
            "the manifest names other font files than this verifier has "
            f"(get the verifier of {m.software_version}, commit {m.software_commit})"
        )
    try:
        expected = render_pdf(document_from_files(st.files))
    except (ValueError, KeyError, TypeError) as exc:
        raise _Fail(f"the attached files cannot be rendered: {exc}") from exc
    difference = compare_pdfs(pdf, expected)
    if difference is not None:
        raise _Fail(
            f"the printed document is not what the attached files give: {difference.describe()}"
        )
    return f"re-rendered byte for byte ({len(pdf):,} bytes; layout {LAYOUT}, embedded fonts)"


def _check_receipt(st: _State, receipt: SignedReceipt) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    r = receipt.receipt
    if r.round_id != m.round_id:
        raise _Fail(f"the receipt is for round {r.round_id!r}, this record is {m.round_id!r}")
    if not verify_receipt(m.server_public_key, receipt):
        raise _Fail("the receipt's signature is not valid for the server key in the manifest")
    lines = _need(st.board, "this record has no commitment board (board.json) to check against")
    position = next((i for i, x in enumerate(lines, 1) if x.tracker == r.tracker), None)
    if position is None:
        raise _Fail("the receipt's tracker is not on the commitment board")
    if lines[position - 1].commitment != r.commitment:
        raise _Fail(f"line {position} of the board has another commitment than the receipt")
    tree = MerkleTree(st.board_leaves)
    leaf = board_leaf(m.round_id, position, r.tracker, r.commitment)
    if not verify_inclusion(leaf, tree.proof(position - 1), bytes.fromhex(m.extra["board_root"])):
        raise _Fail("the receipt's line is not included under the manifest's board root")
    return f"signed by the server; the ballot is line {position} of the board and was counted"


def _pinned(value: PinnedKeys | Sequence[PublicKeyRecord] | None) -> PinnedKeys | None:
    if value is None or isinstance(value, PinnedKeys):
        return value
    return PinnedKeys(tuple(value))


def verify_bundle(
    files: Mapping[str, bytes],
    *,
    pinned_keys: PinnedKeys | Sequence[PublicKeyRecord] | None = None,
    receipt: SignedReceipt | None = None,
    printed: Mapping[str, str] | None = None,
    pdf: bytes | None = None,
    ledger_head: bytes | None = None,
    with_pabutools: bool = False,
    html: bytes | None = None,
    progress: Callable[[Check], None] | None = None,
) -> list[Check]:
    """Run checks 1-10 on a round's files; `printed` holds the digests read from the PDF page.

    `pdf` is the published PDF itself, for check 9; in folder mode check 9 compares the folder's
    tally.html (`html`) instead, and is SKIP without one. `progress`, if given, is called with
    each check as it finishes (a background job reports how far it is).
    """
    st = _State(files)
    checks = _Reported(progress)
    checks.append(_run(1, lambda: _check_files(st, printed)))
    checks.append(_run(2, lambda: _check_ballots(st)))
    checks.append(_run(3, lambda: _check_chain(st)))
    checks.append(_run(4, lambda: _check_tally(st)))
    checks.append(_run(5, lambda: _check_allocation(st)))
    checks.append(_run(6, lambda: _check_signatures(st, _pinned(pinned_keys))))
    checks.append(_run(7, lambda: _check_ledger(st, ledger_head)))
    if receipt is None:
        checks.append(Check(8, TITLES[8], "SKIP", "no receipt given"))
    else:
        checks.append(_run(8, lambda: _check_receipt(st, receipt)))
    if pdf is None and html is not None:
        checks.append(_run(9, lambda: _check_html(st, html)))
    elif pdf is None:
        checks.append(Check(9, TITLES[9], "SKIP", "a folder of files has no printed pages"))
    else:
        checks.append(_run(9, lambda: _check_pages(st, pdf)))
    if not with_pabutools:
        checks.append(Check(10, TITLES[10], "SKIP", "not asked for (--with-pabutools)"))
    elif importlib.util.find_spec("pabutools") is None:
        checks.append(
            Check(10, TITLES[10], "SKIP", "pabutools is not installed (pip install pabutools)")
        )
    else:
        checks.append(_run(10, lambda: _check_pabutools(st)))
    return list(checks)


class _Reported(list[Check]):
    """A list of checks that tells `progress` about each check appended."""

    def __init__(self, progress: Callable[[Check], None] | None) -> None:
        super().__init__()
        self._progress = progress

    def append(self, check: Check) -> None:
        super().append(check)
        if self._progress is not None:
            self._progress(check)


def _check_pabutools(st: _State) -> str:
    from audits.second_opinion import second_opinion

    m = _need(st.manifest, "manifest.json unusable")
    _need(st.profile, "the ballots did not pass check 2")
    agrees, reason = second_opinion(m, st.files["ballots.pb"].decode("utf-8"))
    if agrees is None:
        raise _Skip(reason)
    if not agrees:
        raise _Fail(reason)
    return reason


def verify_pdf(
    pdf: bytes,
    *,
    pinned_keys: PinnedKeys | Sequence[PublicKeyRecord] | None = None,
    receipt: SignedReceipt | None = None,
    ledger_head: bytes | None = None,
    with_pabutools: bool = False,
) -> list[Check]:
    """Run checks 1-10 on a published PDF; raise UnusableInput if it is not a readable PDF."""
    if not pdf.startswith(b"%PDF-"):
        raise UnusableInput("not a PDF file")
    try:
        files = read_attachments(pdf)
        printed = printed_digests(pdf)
    except ValueError as exc:
        raise UnusableInput(str(exc)) from exc
    return verify_bundle(
        files,
        pinned_keys=pinned_keys,
        receipt=receipt,
        printed=printed,
        pdf=pdf,
        ledger_head=ledger_head,
        with_pabutools=with_pabutools,
    )


def quick_checks(
    files: Mapping[str, bytes],
    *,
    pinned_keys: PinnedKeys | Sequence[PublicKeyRecord] | None = None,
    printed: Mapping[str, str] | None = None,
) -> list[Check]:
    """Run only the cheap checks: 1 (files and digests, ballots not parsed) and 6 (signatures).

    A public page runs these first and stops at the first failure, before any ballot is parsed
    or any rule is run.
    """
    st = _State(files, quick=True)
    first = _run(1, lambda: _check_files(st, printed))
    if first.status == "FAIL":
        return [first]
    return [first, _run(6, lambda: _check_signatures(st, _pinned(pinned_keys)))]


@dataclass(frozen=True)
class Verdict:
    """The exit status and the closing lines for a list of checks."""

    status: int
    lines: tuple[str, ...]


def verdict(checks: Sequence[Check]) -> Verdict:
    """Return exit 1 if a check failed, 3 if one only warned, else 0, with the final words."""
    failed = [c.number for c in checks if c.status == "FAIL"]
    if failed:
        return Verdict(1, (f"FAILED: check(s) {', '.join(map(str, failed))}",))
    warned = [c for c in checks if c.status == "WARN"]
    if not warned:
        return Verdict(0, ("ALL CHECKS PASSED",))
    lines = []
    for c in warned:
        if c.number == 6:
            lines.append(NOT_PINNED + " (--keys KEYS.json)")
        elif c.number == 7:
            lines.append(f"payments not covered by the panel: {c.reason}")
        else:
            lines.append(f"check {c.number}: {c.reason}")
    lines.append(f"NOT TRUSTED YET: check(s) {', '.join(str(c.number) for c in warned)} warn")
    return Verdict(3, tuple(lines))


def summary_lines(files: Mapping[str, bytes]) -> list[str]:
    """Return what the manifest decided, for people, before the checks (empty if unreadable)."""
    try:
        m = Manifest.from_json_bytes(files["manifest.json"])
    except (KeyError, ValueError):
        return []
    lines = [
        f"Round {m.round_id}: {m.title}",
        f"Rule fixed when voting opened: {m.rule_at_voting}",
        f"Rule confirmed: {m.rule} ({m.rule_words})",
    ]
    if m.rule_change_reason:
        lines.append(f"Public reason for the change: {m.rule_change_reason}")
    if m.add1:
        lines.append(
            f"Add1: final k = {m.add1.get('k')}, step {m.add1.get('step')} minor unit, "
            f"{m.add1.get('budget_per_voter')} per voter (minor units)"
        )
    lines.append(f"Tie-break: {m.tie_break_words} (data: {dict(m.tie_break)})")
    lines.append(f"Threshold: k={m.threshold}" + (
        f" (reason: {m.threshold_reason})" if m.threshold_reason else ""))  # fmt: skip
    lines.append(
        f"Software: {m.software_version}, commit {m.software_commit}, "
        f"{m.software_repository or 'repository not stated'}"
    )
    ours = source_archive_sha256()
    same = "this verifier's" if ours == m.verifier_archive_sha256 else "NOT this verifier's"
    lines.append(f"Verifier source archive named: {m.verifier_archive_sha256} ({same})")
    return lines


def load_pinned_keys(data: bytes) -> PinnedKeys:
    """Read pinned keys (keys.json, a list of public key records, or one); raise UnusableInput.

    A keys.json (``decide-keys/v1``) may state the threshold k; the verifier then refuses a
    manifest with a lower k.
    """
    try:
        return _load_keys(data, "the pinned keys file")
    except _Fail as exc:
        raise UnusableInput(str(exc)) from exc


def read_folder(folder: Path) -> dict[str, bytes]:
    """Return the round's files found in a folder, by name."""
    return {n: (folder / n).read_bytes() for n in ATTACHMENT_NAMES if (folder / n).is_file()}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the decide-verify command line."""
    parser = argparse.ArgumentParser(
        prog="decide-verify", description="Verify a published decide round from its PDF."
    )
    parser.add_argument(
        "source", nargs="?", help="the published PDF, or a folder holding its files"
    )
    parser.add_argument("--keys", help="the panel's public keys, as you got them yourself")
    parser.add_argument("--receipt", help="your ballot receipt (JSON)")
    parser.add_argument(
        "--ledger-head", help="a ledger head (64 hex) you kept from an earlier edition"
    )
    parser.add_argument(
        "--with-pabutools", action="store_true", help="recompute the allocation with pabutools"
    )
    parser.add_argument("--source-archive", help="write this verifier's source archive here")
    parser.add_argument(
        "--source-listing", action="store_true", help="print each source file's SHA-256"
    )
    args = parser.parse_args(argv)
    if args.source_archive or args.source_listing:
        return _source(args)
    if not args.source:
        parser.error("give the published PDF or a folder of its files")
    try:
        head = None
        if args.ledger_head is not None:
            try:
                head = unhex(args.ledger_head.strip().lower(), 32, "--ledger-head")
            except ValueError as exc:
                raise UnusableInput(str(exc)) from exc
        pinned = load_pinned_keys(Path(args.keys).read_bytes()) if args.keys else None
        receipt = None
        if args.receipt:
            try:
                receipt = SignedReceipt.from_json(Path(args.receipt).read_bytes())
            except ValueError as exc:
                raise UnusableInput(f"{args.receipt}: {exc}") from exc
        source = Path(args.source)
        options: dict[str, Any] = {
            "pinned_keys": pinned,
            "receipt": receipt,
            "ledger_head": head,
            "with_pabutools": args.with_pabutools,
        }
        if source.is_dir():
            files = read_folder(source)
            page = source / "tally.html"
            html = page.read_bytes() if page.is_file() else None
            checks = verify_bundle(files, html=html, **options)
        elif source.is_file():
            data = source.read_bytes()
            checks = verify_pdf(data, **options)
            files = read_attachments(data)
        else:
            raise UnusableInput(f"{source}: no such file or folder")
    except (OSError, UnusableInput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary_lines(files):
        print(line)
    print()
    for check in checks:
        print(check.line())
    result = verdict(checks)
    for line in result.lines:
        print(line)
    return result.status


def _source(args: argparse.Namespace) -> int:
    if args.source_listing:
        root = source_root()
        for rel in source_files(root):
            print(f"{sha256_hex((root / rel).read_bytes())}  {rel}")
    if args.source_archive:
        data = source_archive()
        Path(args.source_archive).write_bytes(data)
        print(f"{sha256_hex(data)}  {args.source_archive}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

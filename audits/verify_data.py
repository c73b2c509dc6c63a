"""The verifier's checks 1-5 (see audits/verify.py): the attached files and their digests, the
ballots under the round's rules, the chain and Merkle root (and the commitment board), the
tally, and the allocation recomputed with the manifest's rule and words."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from audits import recompute
from audits.board import board_leaf, parse_board
from audits.canonical import sha256_hex
from audits.chain import ChainEntry, verify_chain
from audits.manifest import Manifest
from audits.merkle import MerkleTree
from audits.pdf import (
    ATTACHMENT_NAMES,
    OPTIONAL_ATTACHMENTS,
)
from audits.verify_state import Fail, State, need
from audits.words import rule_words, tie_break_words
from ballots.model import Instance, Profile, Project
from ballots.pabulib import PbFile, parse
from ballots.wording import money as format_money
from ballots.wording import plural
from decide.allocation.names import rule_name


def check_files(st: State, printed: Mapping[str, str] | None) -> str:
    """Check 1: attachments present, their digests as the manifest and the page state them."""
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
        problems += _manifest_digest_problems(st.files, m)
    if printed is not None:
        problems += _printed_digest_problems(st.files, printed)
    if "ballots.pb" in st.files and not st.quick:
        _read_ballots(st)
    if m is not None and st.pb is not None:
        problems += _ballot_file_problems(st.pb, m)
        st.instance = Instance(
            m.budget,
            tuple(
                Project(p.id, p.cost, p.name, {"organisation": p.organisation, "area": p.area})
                for p in m.projects
            ),
        )
    if problems:
        raise Fail("; ".join(problems))
    where = "page and manifest" if printed is not None else "manifest (folder: no page)"
    return f"{len(st.files)} files; digests match the {where}"


def _manifest_digest_problems(files: Mapping[str, bytes], m: Manifest) -> list[str]:
    problems = []
    for name, digest in sorted(m.files.items()):
        if name in files and sha256_hex(files[name]) != digest:
            problems.append(f"{name} does not have the SHA-256 the manifest states")
    for name in ("ballots.pb", "keys.json"):
        if name not in m.files:
            problems.append(f"the manifest does not state the SHA-256 of {name}")
    return problems


def _printed_digest_problems(files: Mapping[str, bytes], printed: Mapping[str, str]) -> list[str]:
    problems = []
    for name, data in sorted(files.items()):
        if name not in printed:
            problems.append(f"no digest is printed on the page for {name}")
        elif printed[name] != sha256_hex(data):
            problems.append(f"the digest printed for {name} differs from the attachment")
    for name in sorted(set(printed) - set(files)):
        problems.append(f"a digest is printed for {name}, which is not attached")
    return problems


def _read_ballots(st: State) -> None:
    """Parse ballots.pb; a file that does not parse is reported by check 2, not here."""
    try:
        st.pb = parse(st.files["ballots.pb"].decode("utf-8"))
    except UnicodeDecodeError as exc:
        st.pb_error = f"ballots.pb is not UTF-8: {exc}"
    except ValueError as exc:
        st.pb_error = f"ballots.pb cannot be read: {exc}"
        if "voter id" in str(exc) and "appears twice" in str(exc):
            st.pb_error += " (a tracker repeats)"


def _ballot_file_problems(pb: PbFile, m: Manifest) -> list[str]:
    problems = []
    pb_inst = pb.instance
    if pb_inst.budget != m.budget:
        problems.append(f"ballots.pb states budget {pb_inst.budget}, the manifest {m.budget}")
    pb_costs = [(p.id, p.cost) for p in pb_inst.projects]
    m_costs = [(p.id, p.cost) for p in m.projects]
    if pb_costs != m_costs:
        problems.append("ballots.pb lists other projects or costs than the manifest")
    if pb_inst.meta.get("round", "").strip() != m.round_id:
        problems.append("ballots.pb belongs to another round")
    return problems


def check_ballots(st: State) -> str:
    m = need(st.manifest, "manifest.json unusable")
    if st.pb_error:
        raise Fail(st.pb_error)
    pb = need(st.pb, "ballots.pb missing")
    instance = need(st.instance, "ballots.pb does not match the manifest")
    try:
        rules = recompute.rules_from_dict(m.ballot)
    except ValueError as exc:
        raise Fail(f"the manifest's ballot rules are not valid: {exc}") from exc
    if pb.profile.vote_type != rules.vote_type:
        raise Fail(f"ballots.pb holds {pb.profile.vote_type} ballots, the round uses {rules.kind}")
    seen: set[str] = set()
    channels: dict[str, int] = {}
    for position, b in enumerate(pb.profile.ballots, start=1):
        tracker = b.voter_id
        if len(tracker) != 32 or tracker != tracker.lower() or not _is_hex(tracker):
            raise Fail(f"ballot {position}: tracker {tracker!r} is not 32 lowercase hex")
        if tracker in seen:
            raise Fail(f"tracker {tracker} repeats (ballot {position})")
        seen.add(tracker)
        msgs = recompute.violations(b, rules, instance)
        if msgs:
            raise Fail(f"ballot {position} (tracker {tracker}) is not valid: {msgs[0]}")
        channel = b.fields.get("channel", "")
        channels[channel] = channels.get(channel, 0) + 1
    n = len(pb.profile.ballots)
    if n != m.ballot_count:
        raise Fail(f"ballots.pb holds {n} ballots, the manifest says {m.ballot_count}")
    if channels != dict(m.ballots_by_channel):
        raise Fail(f"ballots by channel {channels} differ from the manifest's")
    st.profile = Profile(pb.profile.vote_type, pb.profile.ballots)
    return f"{n} ballots valid under the {rules.kind} rules; {n} distinct trackers"


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def check_chain(st: State) -> str:
    m = need(st.manifest, "manifest.json unusable")
    pb = need(st.pb, "ballots.pb unusable")
    entries = []
    for position, b in enumerate(pb.profile.ballots, start=1):
        try:
            seq = int(b.fields.get("sequence", ""))
            tracker = bytes.fromhex(b.voter_id)
            data = recompute.ballot_bytes(str(m.ballot.get("kind")), b)
        except ValueError as exc:
            raise Fail(f"ballot {position}: {exc}") from exc
        entries.append(ChainEntry(seq, tracker, data))
    chain = verify_chain(m.round_id, entries)
    if not chain.ok:
        raise Fail(f"chain breaks at sequence {chain.first_bad_sequence}: {chain.reason}")
    st.chain = chain
    if chain.head.hex() != m.chain_head:
        raise Fail("the recomputed chain head differs from the manifest's")
    root = MerkleTree(chain.leaves).root
    if root.hex() != m.merkle_root:
        raise Fail("the recomputed Merkle root differs from the manifest's")
    board = _check_commitment_board(st, m)
    return f"head {m.chain_head[:16]}…, root {m.merkle_root[:16]}… over {chain.count} leaves{board}"


def _check_commitment_board(st: State, m: Manifest) -> str:
    """Check board.json against the manifest: root, length, order; '' when there is none."""
    root = m.extra.get("board_root")
    if "board.json" not in st.files:
        if root is not None:
            raise Fail("the manifest names a board root but board.json is missing")
        return ""
    if root is None or "board.json" not in m.files:
        raise Fail("board.json is attached but the manifest does not name its root and digest")
    try:
        lines = parse_board(st.files["board.json"], m.round_id)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    if len(lines) != m.ballot_count:
        raise Fail(f"board.json has {len(lines)} lines, the manifest {m.ballot_count} ballots")
    leaves = [board_leaf(m.round_id, i, x.tracker, x.commitment) for i, x in enumerate(lines, 1)]
    if MerkleTree(leaves).root.hex() != root:
        raise Fail("the commitment board's Merkle root differs from the manifest's board_root")
    st.board = lines
    st.board_leaves = leaves
    return f"; commitment board root {root[:16]}… over {len(lines)} lines"


def check_tally(st: State) -> str:
    m = need(st.manifest, "manifest.json unusable")
    instance = need(st.instance, "ballots.pb does not match the manifest")
    profile = need(st.profile, "the ballots did not pass check 2")
    rules = recompute.rules_from_dict(m.ballot)
    try:
        counted = recompute.tally_json(instance, profile, rules)
    except ValueError as exc:
        raise Fail(f"cannot count the ballots: {exc}") from exc
    if counted != m.tally:
        diff = [
            pid
            for pid in sorted(set(counted.get("projects", {})) | set(m.tally.get("projects", {})))
            if counted.get("projects", {}).get(pid) != m.tally.get("projects", {}).get(pid)
        ]
        where = f"projects {', '.join(diff[:5])}" if diff else "totals"
        raise Fail(f"the recomputed tally differs from the manifest's ({where})")
    return f"tally of {counted.get('ballots')} ballots matches"


def check_allocation(st: State) -> str:
    m = need(st.manifest, "manifest.json unusable")
    instance = need(st.instance, "ballots.pb does not match the manifest")
    profile = need(st.profile, "the ballots did not pass check 2")
    spent = sum(m.allocation.values(), Fraction(0))
    if spent > m.budget:
        raise Fail(f"the allocation spends {spent}, more than the budget {m.budget}")
    try:
        outcome = recompute.allocation(m.rule, instance, profile, m.rule_parameters, m.tie_break)
    except recompute.RuleUnavailable as exc:
        raise Fail(f"rule not available: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise Fail(f"the rule {m.rule!r} cannot run on these parameters: {exc}") from exc
    amounts = outcome.amounts
    if dict(amounts) != dict(m.allocation):
        changed = sorted(set(amounts) ^ set(m.allocation)) or sorted(
            pid for pid in amounts if amounts[pid] != m.allocation.get(pid)
        )
        raise Fail(
            f"recomputing {m.rule!r} gives another allocation (differs on {', '.join(changed[:5])})"
        )
    if outcome.add1 != (None if m.add1 is None else dict(m.add1)):
        raise Fail(
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
        raise Fail(
            f"the manifest words the rule as {m.rule_words!r}, but its data "
            f"({m.rule!r}) is {rule_words(m.rule, m.rule_parameters)!r}"
        )
    if m.tie_break_words != tie_break_words(m.tie_break):
        raise Fail("the manifest's tie-break in words does not match its tie-break data")
    if not m.rule_at_voting:
        raise Fail("the manifest does not state the rule fixed when voting opened")
    if m.rule_at_voting != m.rule and not m.rule_change_reason.strip():
        raise Fail(
            f"the confirmed rule {m.rule!r} differs from the rule fixed at voting "
            f"({m.rule_at_voting!r}) and the manifest gives no public reason"
        )
    if m.rule_at_voting == m.rule and m.rule_change_reason:
        raise Fail("the manifest gives a reason for a rule change that did not happen")

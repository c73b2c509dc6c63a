"""``decide-verify``: check a published round from its PDF (or a folder of its files) alone.

Usage::

    decide-verify FILE.pdf|FOLDER [--keys KEYS.json] [--receipt RECEIPT.json]

It prints numbered checks, each PASS or FAIL with a reason (check 8 is SKIP without
``--receipt``), and exits 0 when every check passes, 1 when any fails, and 2 when the input
cannot be used at all (no such file, not a PDF, a malformed --keys or --receipt file).

1. attachments present; their digests match the manifest and the digests printed on the page;
   ballots.pb states the manifest's budget and projects
2. every ballot in ballots.pb is valid under the round's rules; no tracker repeats; counts match
3. chain head and Merkle root recomputed from ballots.pb
4. tally recomputed
5. allocation recomputed with the named rule and parameters (decide.allocation)
6. every key's proof of possession; each signature; the k-of-n threshold; the aggregate;
   keys match the pinned --keys when given
7. ledger chain intact; payments per project <= allocation; payees are the projects'
   organisations; checkpoint signatures
8. with --receipt: the receipt's server signature, and its inclusion in the Merkle tree

`verify_bundle` and `verify_pdf` return the same checks for the web auditor page.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from audits import recompute
from audits.bls import PublicKeyRecord, SignatureRecord, check_cosigned
from audits.bundle import KEYS_TYPE, SIGNATURES_TYPE
from audits.canonical import CanonicalJSONError, parse_canonical, parse_json, sha256_hex, unhex
from audits.chain import ChainCheck, ChainEntry, genesis, next_head, verify_chain
from audits.ledger import Ledger, LedgerError, verify_ledger
from audits.manifest import Manifest
from audits.merkle import MerkleTree, verify_inclusion
from audits.pdf import ATTACHMENT_NAMES, printed_digests, read_attachments
from audits.receipts import SignedReceipt, verify_receipt
from ballots.model import Instance, Profile, Project
from ballots.pabulib import PbFile, parse

__all__ = [
    "TITLES",
    "Check",
    "PinnedKeys",
    "UnusableInput",
    "load_pinned_keys",
    "main",
    "read_folder",
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
}


class UnusableInput(ValueError):
    """Input that cannot be verified at all (exit status 2)."""


class _Fail(Exception):
    """A check failed; the message is the reason."""


@dataclass(frozen=True)
class Check:
    """One numbered check: PASS, FAIL or SKIP, with a reason."""

    number: int
    title: str
    status: str
    reason: str

    @property
    def ok(self) -> bool:
        """Return whether this check does not fail (PASS or SKIP)."""
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


def _run(number: int, fn: Callable[[], str]) -> Check:
    try:
        reason = fn()
    except _Fail as exc:
        return Check(number, TITLES[number], "FAIL", str(exc))
    except Exception as exc:
        # Hostile files must never crash the verifier: whatever breaks a check fails it.
        reason = f"malformed input ({type(exc).__name__}: {exc})"
        return Check(number, TITLES[number], "FAIL", reason)
    return Check(number, TITLES[number], "PASS", reason)


def _need(value: Any, what: str) -> Any:
    if value is None:
        raise _Fail(f"cannot check: {what}")
    return value


def _check_files(st: _State, printed: Mapping[str, str] | None) -> str:
    missing = [n for n in ATTACHMENT_NAMES if n not in st.files]
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
    if "ballots.pb" in st.files:
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
    return f"head {m.chain_head[:16]}…, root {m.merkle_root[:16]}… over {chain.count} leaves"


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
        amounts = recompute.allocate(m.rule, instance, profile, m.rule_parameters, m.tie_break)
    except recompute.RuleUnavailable as exc:
        raise _Fail(f"rule not available: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise _Fail(f"the rule {m.rule!r} cannot run on these parameters: {exc}") from exc
    if dict(amounts) != dict(m.allocation):
        changed = sorted(set(amounts) ^ set(m.allocation)) or sorted(
            pid for pid in amounts if amounts[pid] != m.allocation.get(pid)
        )
        raise _Fail(
            f"recomputing {m.rule!r} gives another allocation (differs on {', '.join(changed[:5])})"
        )
    return f"{m.rule}: {len(amounts)} projects funded, {spent} of {m.budget} spent"


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
        if pinned.threshold is None:
            notes.append(f"k={m.threshold} taken from the manifest (not pinned)")
    else:
        notes.append("keys not pinned (give --keys to compare with keys you trust)")
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
    return f"{reason}; every proof of possession valid; " + "; ".join(notes)


def _check_ledger(st: _State) -> str:
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
    return result.reason


def _check_receipt(st: _State, receipt: SignedReceipt) -> str:
    m = _need(st.manifest, "manifest.json unusable")
    r = receipt.receipt
    if r.round_id != m.round_id:
        raise _Fail(f"the receipt is for round {r.round_id!r}, this record is {m.round_id!r}")
    if not verify_receipt(m.server_public_key, receipt):
        raise _Fail("the receipt's signature is not valid for the server key in the manifest")
    chain = _need(st.chain, "the chain did not pass check 3")
    if not 1 <= r.sequence <= chain.count:
        raise _Fail(f"there is no ballot {r.sequence} on the board")
    pb = _need(st.pb, "ballots.pb unusable")
    if pb.profile.ballots[r.sequence - 1].voter_id != r.tracker.hex():
        raise _Fail(f"ballot {r.sequence} on the board has another tracker")
    if chain.leaves[r.sequence - 1] != r.leaf:
        raise _Fail(f"ballot {r.sequence} on the board has another leaf hash")
    tree = MerkleTree(chain.leaves)
    proof = tree.proof(r.sequence - 1)
    if proof.size != m.ballot_count or not verify_inclusion(
        r.leaf, proof, bytes.fromhex(m.merkle_root)
    ):
        raise _Fail("the receipt's leaf is not included under the published Merkle root")
    # The receipt's head must be a head the chain really had at that sequence.
    head = _head_at(m.round_id, chain.leaves, r.sequence)
    if head != r.head:
        raise _Fail("the receipt's chain head is not the head after its ballot")
    return f"signed by the server; ballot {r.sequence} is included under the Merkle root"


def _head_at(round_id: str, leaves: Sequence[bytes], sequence: int) -> bytes:
    head = genesis(round_id)
    for leaf in leaves[:sequence]:
        head = next_head(head, leaf)
    return head


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
) -> list[Check]:
    """Run checks 1-8 on a round's files; `printed` holds the digests read from the PDF page."""
    st = _State(files)
    checks = [
        _run(1, lambda: _check_files(st, printed)),
        _run(2, lambda: _check_ballots(st)),
        _run(3, lambda: _check_chain(st)),
        _run(4, lambda: _check_tally(st)),
        _run(5, lambda: _check_allocation(st)),
        _run(6, lambda: _check_signatures(st, _pinned(pinned_keys))),
        _run(7, lambda: _check_ledger(st)),
    ]
    if receipt is None:
        checks.append(Check(8, TITLES[8], "SKIP", "no receipt given"))
    else:
        checks.append(_run(8, lambda: _check_receipt(st, receipt)))
    return checks


def verify_pdf(
    pdf: bytes,
    *,
    pinned_keys: PinnedKeys | Sequence[PublicKeyRecord] | None = None,
    receipt: SignedReceipt | None = None,
) -> list[Check]:
    """Run checks 1-8 on a published PDF; raise UnusableInput if it is not a readable PDF."""
    if not pdf.startswith(b"%PDF-"):
        raise UnusableInput("not a PDF file")
    try:
        files = read_attachments(pdf)
        printed = printed_digests(pdf)
    except ValueError as exc:
        raise UnusableInput(str(exc)) from exc
    return verify_bundle(files, pinned_keys=pinned_keys, receipt=receipt, printed=printed)


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
    parser.add_argument("source", help="the published PDF, or a folder holding its files")
    parser.add_argument("--keys", help="the panel's public keys, as you got them yourself")
    parser.add_argument("--receipt", help="your ballot receipt (JSON)")
    args = parser.parse_args(argv)
    try:
        pinned = load_pinned_keys(Path(args.keys).read_bytes()) if args.keys else None
        receipt = None
        if args.receipt:
            try:
                receipt = SignedReceipt.from_json(Path(args.receipt).read_bytes())
            except ValueError as exc:
                raise UnusableInput(f"{args.receipt}: {exc}") from exc
        source = Path(args.source)
        if source.is_dir():
            checks = verify_bundle(read_folder(source), pinned_keys=pinned, receipt=receipt)
        elif source.is_file():
            checks = verify_pdf(source.read_bytes(), pinned_keys=pinned, receipt=receipt)
        else:
            raise UnusableInput(f"{source}: no such file or folder")
    except (OSError, UnusableInput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for check in checks:
        print(check.line())
    failed = [c.number for c in checks if not c.ok]
    if failed:
        print(f"FAILED: check(s) {', '.join(map(str, failed))}")
        return 1
    print("ALL CHECKS PASSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

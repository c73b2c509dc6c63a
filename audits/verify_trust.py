"""The verifier's checks 6-9 (see audits/verify.py): panel keys, signatures and threshold;
the disbursement ledger; a voter's receipt; and the printed pages re-rendered."""

from __future__ import annotations

from audits.annex import ANNEX_NAME, DeliveryAnnex, consistency_problems, cosigned_problems
from audits.bls import PublicKeyRecord, SignatureRecord, check_cosigned
from audits.board import board_leaf
from audits.bundle import SIGNATURES_TYPE
from audits.canonical import CanonicalJSONError, parse_canonical, unhex
from audits.edition import document_from_files
from audits.ledger import Ledger, LedgerEntry, LedgerError, ledger_genesis
from audits.ledger_check import verify_ledger
from audits.manifest import Manifest
from audits.merkle import MerkleTree, verify_inclusion
from audits.pdf import (
    LAYOUT,
    compare_pdfs,
    render_pdf,
)
from audits.receipts import SignedReceipt, verify_receipt
from audits.typeface import font_digests
from audits.verify_state import (
    DEFAULT_THRESHOLD,
    NOT_PINNED,
    THRESHOLD_NOT_PINNED,
    Fail,
    PinnedKeys,
    State,
    Warn,
    load_keys,
    need,
)
from ballots.wording import money as format_money


def check_signatures(st: State, pinned: PinnedKeys | None) -> str:
    """Check 6: every key's proof of possession, each signature, the threshold, the aggregate."""
    m = need(st.manifest, "manifest.json unusable")
    published = load_keys(need(st.files.get("keys.json"), "keys.json missing"), "keys.json")
    keys = published.keys
    st.keys = keys
    if published.threshold is not None and published.threshold != m.threshold:
        raise Fail(f"keys.json states k={published.threshold}, the manifest k={m.threshold}")
    if m.threshold > len(keys):
        raise Fail(f"threshold k={m.threshold} is more than the {len(keys)} registered keys")
    notes = []
    if pinned is not None:
        _check_pinned(keys, pinned, m)
        notes.append("keys match the pinned keys")
    sigs, agg = _signatures(st, m)
    ok, reason = check_cosigned(m.digest(), "decide-manifest/v1", sigs, agg, keys, m.threshold)
    if not ok:
        raise Fail(reason)
    if m.threshold < 2 and not m.threshold_reason.strip():
        raise Fail(f"a threshold of k={m.threshold} needs a stated reason; the manifest has none")
    by_key = {k.public_key: k for k in keys}
    if sigs and all(by_key[s.public_key].role == "official" for s in sigs):
        raise Fail("only officials signed: the panel must sign too, never the facilitator alone")
    signers = ", ".join(
        f"{s.signer} ({by_key[s.public_key].role or 'no role'}, {by_key[s.public_key].fingerprint})"
        for s in sigs
    )
    text = f"{reason}; every proof of possession valid; signed by {signers}"
    if pinned is None:
        raise Warn(f"{text}. Note: {NOT_PINNED}")
    if pinned.threshold is None and m.threshold < DEFAULT_THRESHOLD:
        # Members' own key files state no threshold. A manifest asking for fewer signers than
        # the default could have been lowered by the very signer it counts (outside review:
        # one member alone passed); without a pinned k it is only consistent.
        note = THRESHOLD_NOT_PINNED.format(k=m.threshold)
        raise Warn(f"{text}; keys match the pinned keys. Note: {note}")
    if pinned.threshold is None:
        notes.append(f"k={m.threshold} from the manifest (the pinned keys state none)")
    return f"{text}; " + "; ".join(notes)


def _check_pinned(keys: tuple[PublicKeyRecord, ...], pinned: PinnedKeys, m: Manifest) -> None:
    """Fail unless every published key is pinned and the manifest keeps the pinned k."""
    pinned_set = {k.public_key for k in pinned.keys}
    for k in keys:
        if k.public_key not in pinned_set:
            raise Fail(f"key of {k.name!r} is not one of the pinned keys")
    # A colluding minority could lower k in the manifest and sign it alone.
    if pinned.threshold is not None and m.threshold < pinned.threshold:
        raise Fail(
            f"the manifest lowers the threshold to k={m.threshold}; the pinned keys "
            f"require k={pinned.threshold}"
        )


def _signatures(st: State, m: Manifest) -> tuple[list[SignatureRecord], bytes | None]:
    """Read signatures.json: the signatures and their aggregate, for this manifest."""
    try:
        obj = parse_canonical(need(st.files.get("signatures.json"), "signatures.json missing"))
        if obj.get("type") != SIGNATURES_TYPE:
            raise ValueError(f"type must be {SIGNATURES_TYPE!r}")
        sigs = [SignatureRecord.from_dict(s) for s in obj["signatures"]]
        agg = unhex(obj["aggregate"], 96, "aggregate") if obj["aggregate"] else None
        stated = obj["manifest"]
        if set(obj) != {"type", "round", "manifest", "signatures", "aggregate"}:
            raise ValueError("unexpected fields")
    except (CanonicalJSONError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Fail(f"signatures.json is malformed: {exc}") from exc
    if stated != m.digest_hex() or obj["round"] != m.round_id:
        raise Fail("signatures.json names another manifest or round")
    return sigs, agg


def check_ledger(st: State, ledger_head: bytes | None = None) -> str:
    m = need(st.manifest, "manifest.json unusable")
    try:
        ledger = Ledger.from_json_bytes(need(st.files.get("ledger.json"), "ledger.json missing"))
    except LedgerError as exc:
        raise Fail(str(exc)) from exc
    if ledger.round_id != m.round_id:
        raise Fail(f"ledger.json belongs to round {ledger.round_id!r}")
    organisations = {p.id: p.organisation for p in m.projects}
    result = verify_ledger(ledger, allocation=m.allocation, organisations=organisations)
    if not result.ok:
        raise Fail(result.reason)
    _check_annex(st, m, ledger)
    if ledger.checkpoints:
        keys = need(st.keys, "keys.json unusable")
        for i, c in enumerate(ledger.checkpoints, start=1):
            if c.checkpoint.manifest_digest != m.digest():
                raise Fail(f"checkpoint {i} names another manifest")
            ok, reason = check_cosigned(
                c.checkpoint.digest(),
                "decide-ledger-checkpoint/v1",
                c.signatures,
                c.aggregate,
                keys,
                m.threshold,
            )
            if not ok:
                raise Fail(f"checkpoint {i}: {reason}")
    reason = result.reason
    if ledger_head is not None:
        heads = {c.checkpoint.head for c in ledger.checkpoints} | {ledger_genesis(m.round_id)}
        if ledger_head not in heads:
            raise Fail(
                f"no co-signed checkpoint in this ledger has the head {ledger_head.hex()} you "
                "kept: the ledger was rolled back or a checkpoint was removed"
            )
        reason += f"; the head you kept ({ledger_head.hex()[:16]}…) is co-signed here"
    if result.uncovered:
        st.uncovered = result.uncovered
        raise Warn(
            f"{reason}; {len(result.uncovered)} payment"
            f"{'s are' if len(result.uncovered) != 1 else ' is'} outside any co-signed "
            "checkpoint: " + "; ".join(_payment_text(e, m.currency) for e in result.uncovered)
        )
    return reason


def _check_annex(st: State, m: Manifest, ledger: Ledger) -> None:
    """The delivery annex (delivery.json) agrees with the manifest and ledger, and is attached
    whenever the last co-signed checkpoint names one."""
    if ANNEX_NAME not in st.files:
        last = ledger.checkpoints[-1].checkpoint if ledger.checkpoints else None
        if last is not None and last.annex is not None:
            raise Fail(
                f"delivery.json is missing, but checkpoint {len(ledger.checkpoints)} of the "
                f"ledger was co-signed with a delivery annex (SHA-256 {last.annex.hex()}): this "
                "edition leaves out the milestones and impact figures the panel co-signed"
            )
        return
    try:
        annex = DeliveryAnnex.from_json_bytes(st.files[ANNEX_NAME])
    except ValueError as exc:
        raise Fail(str(exc)) from exc
    # The annex is drawn up with the checkpoint that co-signs it (the last one), so its money
    # paid is the ledger's up to that checkpoint; later payments are check 7's warning.
    covered = ledger.checkpoints[-1].checkpoint.count if ledger.checkpoints else len(ledger.entries)
    paid: dict[str, int] = {}
    for e in ledger.entries[:covered]:
        paid[e.project_id] = paid.get(e.project_id, 0) + e.amount_pence
    ballots = st.pb.profile.ballots if st.pb is not None else None
    problems = consistency_problems(annex, m, paid, ballots)
    problems += cosigned_problems(st.files[ANNEX_NAME], ledger.checkpoints)
    if problems:
        raise Fail("; ".join(problems))


def _payment_text(e: LedgerEntry, currency: str) -> str:
    return (
        f"payment {e.sequence} on {e.date}, {format_money(e.amount_pence, currency)} to "
        f"project {e.project_id} ({e.organisation})"
    )


def check_html(st: State, html: bytes) -> str:
    from audits.html import HTML_NAME, render_html

    need(st.manifest, "manifest.json unusable")
    try:
        expected = render_html(document_from_files(st.files))
    except (ValueError, KeyError, TypeError) as exc:
        raise Fail(f"the attached files cannot be rendered: {exc}") from exc
    if html == expected:
        return f"{HTML_NAME} re-rendered byte for byte ({len(html):,} bytes)"
    ours = html.decode("utf-8", "replace").splitlines()
    theirs = expected.decode("utf-8").splitlines()
    for i in range(max(len(ours), len(theirs))):
        a = ours[i] if i < len(ours) else ""
        b = theirs[i] if i < len(theirs) else ""
        if a != b:
            # Quote from just before the first differing character, not the line's start.
            col = next(
                (j for j, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)),
            )
            start = max(0, col - 40)
            raise Fail(
                f"{HTML_NAME} is not what the files give: line {i + 1}, column {col + 1} reads "
                f"{a[start : col + 80]!r} where the attached files give {b[start : col + 80]!r}"
            )
    raise Fail(f"{HTML_NAME} differs from the re-rendering in its line endings or encoding")


def check_pages(st: State, pdf: bytes) -> str:
    m = need(st.manifest, "manifest.json unusable")
    rendering = dict(m.rendering)
    if rendering.get("layout") != LAYOUT:
        raise Fail(
            f"the manifest names the layout {rendering.get('layout')!r}; this verifier renders "
            f"{LAYOUT!r} (get the verifier of {m.software_version}, commit {m.software_commit})"
        )
    fonts = rendering.get("fonts")
    if fonts != font_digests():
        raise Fail(
            "the manifest names other font files than this verifier has "
            f"(get the verifier of {m.software_version}, commit {m.software_commit})"
        )
    try:
        expected = render_pdf(document_from_files(st.files))
    except (ValueError, KeyError, TypeError) as exc:
        raise Fail(f"the attached files cannot be rendered: {exc}") from exc
    difference = compare_pdfs(pdf, expected)
    if difference is not None:
        raise Fail(
            f"the printed document is not what the attached files give: {difference.describe()}"
        )
    return f"re-rendered byte for byte ({len(pdf):,} bytes; layout {LAYOUT}, embedded fonts)"


def check_receipt(st: State, receipt: SignedReceipt) -> str:
    m = need(st.manifest, "manifest.json unusable")
    r = receipt.receipt
    if r.round_id != m.round_id:
        raise Fail(f"the receipt is for round {r.round_id!r}, this record is {m.round_id!r}")
    if not verify_receipt(m.server_public_key, receipt):
        raise Fail("the receipt's signature is not valid for the server key in the manifest")
    lines = need(st.board, "this record has no commitment board (board.json) to check against")
    position = next((i for i, x in enumerate(lines, 1) if x.tracker == r.tracker), None)
    if position is None:
        raise Fail("the receipt's tracker is not on the commitment board")
    if lines[position - 1].commitment != r.commitment:
        raise Fail(f"line {position} of the board has another commitment than the receipt")
    tree = MerkleTree(st.board_leaves)
    leaf = board_leaf(m.round_id, position, r.tracker, r.commitment)
    if not verify_inclusion(leaf, tree.proof(position - 1), bytes.fromhex(m.extra["board_root"])):
        raise Fail("the receipt's line is not included under the manifest's board root")
    return f"signed by the server; the ballot is line {position} of the board and was counted"

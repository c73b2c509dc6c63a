"""Issue 5, acceptance 2: each tampering fails decide-verify at the named check."""

from __future__ import annotations

import io

import pytest
from py_ecc.bls import G2ProofOfPossession
from py_ecc.bls.g2_primitives import G1_to_pubkey, pubkey_to_G1
from py_ecc.optimized_bls12_381 import G1, add, multiply, neg
from pypdf import PdfReader, PdfWriter

from audits import bls
from audits.bundle import keys_json
from audits.canonical import canonical_json, parse_canonical
from audits.ledger import Ledger, LedgerEntry, SignedCheckpoint, ledger_genesis
from audits.receipts import Receipt, ServerKey, sign_receipt
from audits.verify import load_pinned_keys, verify_bundle, verify_pdf
from ballots.model import Ballot, Profile
from ballots.pabulib import PbFile, parse, write

from .conftest import collude


def failed(checks):
    return {c.number for c in checks if c.status == "FAIL"}


def assert_fails_at(checks, number):
    bad = failed(checks)
    assert number in bad, [c.line() for c in checks]
    # Nothing before the named check fails: it is where the tampering is caught.
    assert min(bad) == number, [c.line() for c in checks]


def edit_pb(files, change):
    pb = parse(files["ballots.pb"].decode())
    ballots = list(pb.profile.ballots)
    change(ballots)
    new = PbFile(
        pb.instance,
        Profile(pb.profile.vote_type, tuple(ballots)),
        pb.project_columns,
        pb.vote_columns,
    )
    return write(new).encode()


def flip_one(ballots):
    b = ballots[10]
    other = next(p for p in ("p1", "p2", "p3", "p4") if p not in b.projects)
    ballots[10] = Ballot(b.voter_id, (other, *b.projects[1:]), None, b.fields)


def drop_one(ballots):
    del ballots[20]


def swap_two(ballots):
    ballots[3], ballots[4] = ballots[4], ballots[3]


@pytest.mark.parametrize("change", [flip_one, drop_one, swap_two])
def test_ballots_edited_fail_at_1_then_3_when_panel_colludes(plain, change):
    files = plain.files
    files["ballots.pb"] = edit_pb(files, change)
    assert_fails_at(verify_bundle(files), 1)

    def counts(m):
        pb = parse(files["ballots.pb"].decode())
        m["ballot_count"] = len(pb.profile.ballots)
        channels: dict[str, int] = {}
        for b in pb.profile.ballots:
            channels[b.fields["channel"]] = channels.get(b.fields["channel"], 0) + 1
        m["ballots_by_channel"] = channels

    assert_fails_at(verify_bundle(collude(plain, files, counts)), 3)


def test_duplicate_tracker_fails_at_2(plain):
    files = plain.files
    first, second = plain.board[2].tracker.hex(), plain.board[5].tracker.hex()
    files["ballots.pb"] = files["ballots.pb"].replace(second.encode(), first.encode())
    checks = verify_bundle(collude(plain, files))
    assert_fails_at(checks, 2)
    assert "repeats" in checks[1].reason


def test_tally_altered_and_resigned_fails_at_4(plain):
    def change(m):
        m["tally"]["projects"]["p5"]["approvals"] += 7

    assert_fails_at(verify_bundle(collude(plain, plain.files, change)), 4)


def test_allocation_altered_and_resigned_fails_at_5(plain):
    def change(m):
        unfunded = next(p for p in m["projects"] if p["id"] not in m["allocation"])
        m["allocation"].pop(sorted(m["allocation"])[0])
        m["allocation"][unfunded["id"]] = unfunded["cost"]

    assert_fails_at(verify_bundle(collude(plain, plain.files, change)), 5)


def test_budget_altered_and_resigned_fails_at_5(plain):
    files = plain.files
    pb = parse(files["ballots.pb"].decode())
    budget = pb.instance.budget - 200_000
    meta = dict(pb.instance.meta) | {"budget": str(budget)}
    inst = type(pb.instance)(budget, pb.instance.projects, meta)
    files["ballots.pb"] = write(
        PbFile(inst, pb.profile, pb.project_columns, pb.vote_columns)
    ).encode()

    def change(m):
        m["budget"] = str(budget)

    checks = verify_bundle(collude(plain, files, change))
    assert_fails_at(checks, 5)


def resign_checkpoint(built, ledger, keys):
    cp = ledger.checkpoint(built.closing.manifest.digest(), "2026-11-21")
    return Ledger(ledger.round_id, ledger.entries).with_checkpoint(
        SignedCheckpoint.of(cp, [bls.sign_document(k, cp.to_dict()) for k in keys])
    )


def test_ledger_amount_altered_fails_at_7(full):
    files = full.files
    obj = parse_canonical(files["ledger.json"])
    obj["entries"][0]["amount_pence"] += 1
    files["ledger.json"] = canonical_json(obj)
    assert_fails_at(verify_bundle(files), 7)


def test_ledger_rehashed_after_alteration_fails_at_7(full):
    ledger, entries = full.ledger, []
    head = ledger_genesis(ledger.round_id)
    for e in ledger.entries:
        changed = LedgerEntry(**{**e.__dict__, "amount_pence": e.amount_pence - 1})
        changed = LedgerEntry(**{**changed.__dict__, "hash": changed.chain_hash(head)})
        head = changed.hash
        entries.append(changed)
    rehashed = Ledger(ledger.round_id, tuple(entries), ledger.checkpoints)
    files = full.files
    files["ledger.json"] = rehashed.to_json_bytes()
    checks = verify_bundle(files)
    assert_fails_at(checks, 7)
    assert "checkpoint" in checks[6].reason


def test_overspend_signed_by_panel_fails_at_7(full):
    ledger = full.ledger
    head = ledger_genesis(ledger.round_id)
    pid = ledger.entries[0].project_id
    limit = int(full.closing.manifest.allocation[pid])
    entries = []
    for seq, amount in enumerate([limit, 1], start=1):
        e = LedgerEntry(
            ledger.round_id,
            seq,
            pid,
            full.organisations[pid],
            amount,
            "2026-11-05",
            "ab" * 32,
            "Fay",
        )
        e = LedgerEntry(**{**e.__dict__, "hash": e.chain_hash(head)})
        head = e.hash
        entries.append(e)
    bad = resign_checkpoint(full, Ledger(ledger.round_id, tuple(entries)), full.keys[:2])
    files = full.files
    files["ledger.json"] = bad.to_json_bytes()
    checks = verify_bundle(files)
    assert_fails_at(checks, 7)
    assert "over its allocation" in checks[6].reason


def test_signer_replaced_by_unpinned_key_fails_at_6(plain, panel, outsider):
    keys, public = panel
    eve, eve_public = outsider
    files = plain.files
    files["keys.json"] = keys_json(plain.spec.round_id, (public[0], eve_public, public[2]))
    forged = collude(plain, files, signers=(keys[0], eve))
    # Without pinned keys the forgery is self-consistent; the pinned keys catch it.
    assert not failed(verify_bundle(forged))
    checks = verify_bundle(forged, pinned_keys=public)
    assert_fails_at(checks, 6)
    assert "pinned" in checks[5].reason


def signatures_with(files, **changes):
    obj = parse_canonical(files["signatures.json"])
    obj.update(changes)
    return canonical_json(obj)


def test_aggregate_over_another_message_fails_at_6(plain):
    other = [bls.sign(k.secret_key, bytes(32)) for k in plain.keys[:2]]
    files = plain.files
    files["signatures.json"] = signatures_with(files, aggregate=bls.aggregate(other).hex())
    assert_fails_at(verify_bundle(files), 6)


def test_rogue_key_aggregate_fails_at_6(plain, panel, outsider):
    keys, public = panel
    eve, eve_public = outsider
    honest = add(pubkey_to_G1(public[0].public_key), pubkey_to_G1(public[1].public_key))
    rogue = G1_to_pubkey(add(multiply(G1, eve.secret_key), neg(honest)))
    rogue_record = bls.PublicKeyRecord("Cy", rogue, eve_public.proof_of_possession)
    files = plain.files
    files["keys.json"] = keys_json(plain.spec.round_id, (public[0], public[1], rogue_record))
    files = collude(plain, files, signers=(keys[0], keys[1]))
    m = parse_canonical(files["manifest.json"])
    digest = bls.document_digest(m)
    forged = bls.sign(eve.secret_key, digest)
    # The three keys sum to Eve's own key, so her signature alone passes FastAggregateVerify.
    pks = [public[0].public_key, public[1].public_key, rogue]
    assert G2ProofOfPossession.FastAggregateVerify(pks, bls.cosign_message(digest), forged)
    files["signatures.json"] = signatures_with(files, aggregate=forged.hex())
    checks = verify_bundle(files)
    assert_fails_at(checks, 6)
    assert "proof of possession" in checks[5].reason


def test_fewer_than_k_signers_fails_at_6(plain):
    files = collude(plain, plain.files, signers=plain.keys[:1])
    checks = verify_bundle(files)
    assert_fails_at(checks, 6)
    assert "threshold" in checks[5].reason


def test_one_signer_counted_twice_fails_at_6(plain):
    files = collude(plain, plain.files, signers=(plain.keys[0], plain.keys[0]))
    checks = verify_bundle(files)
    assert_fails_at(checks, 6)
    assert "twice" in checks[5].reason


def rebuilt_pdf(pdf: bytes, files: dict[str, bytes]) -> bytes:
    """Return the same printed pages carrying other attachments."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for name, data in files.items():
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_printed_digest_differing_from_attachment_fails_at_1(full):
    files = full.files
    files["ledger.json"] = Ledger(full.spec.round_id).to_json_bytes()
    # The delivery annex states the payments, so check 7 catches the swap even in a folder.
    assert failed(verify_bundle(files)) == {7}
    del files["delivery.json"]
    # Without the annex the swapped ledger is valid on its own (folder mode passes); the
    # printed page catches it.
    assert not failed(verify_bundle(files))
    checks = verify_pdf(rebuilt_pdf(full.publication.pdf, files))
    assert_fails_at(checks, 1)
    assert "printed" in checks[0].reason


def test_attachment_missing_fails_at_1(full):
    files = full.files
    del files["keys.json"]
    checks = verify_pdf(rebuilt_pdf(full.publication.pdf, files))
    assert 1 in failed(checks)
    assert "missing attachment(s): keys.json" in checks[0].reason


def receipt_for(built, line, server=None, round_id=None, commit=None):
    """Return the receipt the sealed box gave the ballot at this line of the board."""
    x = built.commitments[line - 1]
    r = Receipt(round_id or built.spec.round_id, x.tracker, commit or x.commitment)
    return sign_receipt(server or built.server, r)


def test_good_receipt_passes_8(full):
    checks = verify_bundle(full.files, receipt=receipt_for(full, 17))
    assert not failed(checks), [c.line() for c in checks]
    assert checks[7].status == "PASS"


def test_receipt_with_bad_signature_fails_at_8(full):
    forged = receipt_for(full, 17, server=ServerKey.generate())
    assert_fails_at(verify_bundle(full.files, receipt=forged), 8)


def test_receipt_from_another_round_fails_at_8(full):
    other = receipt_for(full, 17, round_id="round-2025-other")
    checks = verify_bundle(full.files, receipt=other)
    assert_fails_at(checks, 8)
    assert "round" in checks[7].reason


def test_receipt_with_another_commitment_fails_at_8(full):
    changed = receipt_for(full, 17, commit=b"\x01" * 32)
    checks = verify_bundle(full.files, receipt=changed)
    assert_fails_at(checks, 8)
    assert "another commitment" in checks[7].reason


def test_board_json_changed_fails_at_1_and_3(full):
    files = full.files
    files["board.json"] = files["board.json"].replace(b'"route":"online"', b'"route":"paper"', 1)
    checks = verify_bundle(files)
    assert 1 in failed(checks)


def test_threshold_lowered_by_one_colluder_fails_at_6_with_pinned_keys(plain, panel):
    keys, public = panel
    pinned = load_pinned_keys(plain.files["keys.json"])
    assert pinned.threshold == 2

    def lower(m):
        m["threshold"] = 1
        # A threshold of one needs a stated reason; a colluder states one.
        m["threshold_reason"] = "the other members are away"

    forged = collude(plain, plain.files, lower, signers=keys[:1])
    # keys.json still states k=2, so even without pinning the mismatch shows.
    assert_fails_at(verify_bundle(forged), 6)
    files = dict(forged)
    files["keys.json"] = keys_json(plain.spec.round_id, public, 1)
    forged = collude(plain, files, lower, signers=keys[:1])
    assert not failed(verify_bundle(forged, pinned_keys=public))
    checks = verify_bundle(forged, pinned_keys=pinned)
    assert_fails_at(checks, 6)
    assert "lowers the threshold" in checks[5].reason

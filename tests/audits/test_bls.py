from __future__ import annotations

import pytest
from py_ecc.bls import G2ProofOfPossession
from py_ecc.bls.g2_primitives import G1_to_pubkey, pubkey_to_G1
from py_ecc.optimized_bls12_381 import G1, add, multiply, neg

from audits import bls

DIGEST = bytes(range(32))


def test_sign_verify_and_wrong_digest(panel):
    keys, _ = panel
    sig = bls.sign(keys[0].secret_key, DIGEST)
    assert bls.verify(keys[0].public_key, DIGEST, sig)
    assert not bls.verify(keys[0].public_key, bytes(32), sig)
    assert not bls.verify(keys[1].public_key, DIGEST, sig)
    assert not bls.verify(keys[0].public_key, DIGEST, b"\x00" * 96)


def test_pop_and_records_round_trip(panel):
    keys, public = panel
    assert all(p.check() for p in public)
    swapped = bls.PublicKeyRecord("Ada", public[0].public_key, public[1].proof_of_possession)
    assert not swapped.check()
    assert bls.PublicKeyRecord.from_dict(public[0].to_dict()) == public[0]
    again = bls.BlsKeyPair.from_private_record(keys[0].private_record())
    assert again == keys[0]


def test_record_parsing_is_strict(panel):
    _, public = panel
    d = public[0].to_dict()
    with pytest.raises(ValueError):
        bls.PublicKeyRecord.from_dict(d | {"public_key": d["public_key"].upper()})
    with pytest.raises(ValueError):
        bls.PublicKeyRecord.from_dict(d | {"type": "other"})
    with pytest.raises(ValueError):
        bls.PublicKeyRecord.from_dict(d | {"proof_of_possession": "00"})


def test_aggregate_needs_every_proof(panel):
    keys, public = panel
    sigs = [bls.sign(k.secret_key, DIGEST) for k in keys[:2]]
    agg = bls.aggregate(sigs)
    pairs = [(p.public_key, p.proof_of_possession) for p in public[:2]]
    assert bls.verify_aggregate(pairs, DIGEST, agg) == (True, "")
    ok, reason = bls.verify_aggregate(pairs, bytes(32), agg)
    assert not ok and "aggregate" in reason
    ok, reason = bls.verify_aggregate([pairs[0], pairs[0]], DIGEST, agg)
    assert not ok and "twice" in reason


def test_rogue_key_aggregate_fails(panel, outsider):
    """A rogue key x·G - (pkA + pkB) forges an 'aggregate' that raw FastAggregateVerify accepts."""
    _, public = panel
    mallory, mallory_public = outsider
    honest = add(pubkey_to_G1(public[0].public_key), pubkey_to_G1(public[1].public_key))
    rogue_pk = G1_to_pubkey(add(multiply(G1, mallory.secret_key), neg(honest)))
    message = bls.cosign_message(DIGEST)
    forged = G2ProofOfPossession.Sign(mallory.secret_key, message)
    pks = [public[0].public_key, public[1].public_key, rogue_pk]
    # The attack works against py-ecc alone ...
    assert G2ProofOfPossession.FastAggregateVerify(pks, message, forged)
    # ... and fails here, because the rogue key cannot prove possession of a secret key.
    pairs = [
        (public[0].public_key, public[0].proof_of_possession),
        (public[1].public_key, public[1].proof_of_possession),
        (rogue_pk, mallory_public.proof_of_possession),
    ]
    ok, reason = bls.verify_aggregate(pairs, DIGEST, bytes(forged))
    assert not ok and "proof of possession" in reason


def test_check_cosigned_threshold_and_names(panel):
    keys, public = panel
    doc = {"type": "decide-manifest/v1", "x": 1}
    digest = bls.document_digest(doc)
    sigs = [bls.sign_document(k, doc) for k in keys[:2]]
    agg = bls.aggregate([s.signature for s in sigs])
    ok, reason = bls.check_cosigned(digest, "decide-manifest/v1", sigs, agg, public, 2)
    assert ok, reason
    ok, reason = bls.check_cosigned(digest, "decide-manifest/v1", sigs, agg, public, 3)
    assert not ok and "threshold" in reason
    ok, reason = bls.check_cosigned(digest, "decide-ledger-checkpoint/v1", sigs, agg, public, 2)
    assert not ok
    renamed = [bls.SignatureRecord("Mallory", *list(sigs[0].__dict__.values())[1:]), sigs[1]]
    ok, reason = bls.check_cosigned(digest, "decide-manifest/v1", renamed, agg, public, 2)
    assert not ok and "registered to" in reason


def test_sign_document_refuses_untyped(panel):
    keys, _ = panel
    with pytest.raises(ValueError):
        bls.sign_document(keys[0], {"no": "type"})

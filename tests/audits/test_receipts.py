from __future__ import annotations

import json
import os

import pytest

from audits.canonical import canonical_json
from audits.receipts import (
    RECEIPT_DOMAIN,
    Receipt,
    ServerKey,
    SignedReceipt,
    sign_receipt,
    verify_receipt,
)


@pytest.fixture(scope="module")
def key():
    return ServerKey.generate()


RECEIPT = Receipt("round-1", bytes(range(16)), b"\xab" * 32)


def test_sign_and_verify(key):
    signed = sign_receipt(key, RECEIPT)
    assert verify_receipt(key.public_key_hex, signed)
    assert verify_receipt(key.public_key_bytes, signed)
    assert verify_receipt(key.public_key, signed)
    key.public_key.verify(signed.signature, RECEIPT_DOMAIN + canonical_json(RECEIPT.to_dict()))


def test_file_round_trip(key):
    signed = sign_receipt(key, RECEIPT)
    data = signed.to_json()
    assert SignedReceipt.from_json(data) == signed
    assert Receipt.from_json(data) == RECEIPT
    assert Receipt.from_json(RECEIPT.to_json()) == RECEIPT
    pretty = json.dumps(json.loads(data), indent=2)
    assert SignedReceipt.from_json(pretty) == signed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("round", "round-2"),
        ("tracker", "00" * 16),
        ("commitment", "33" * 32),
    ],
)
def test_tampered_field_rejected(key, field, value):
    body = json.loads(sign_receipt(key, RECEIPT).to_json())
    body[field] = value
    assert not verify_receipt(key.public_key_hex, SignedReceipt.from_dict(body))


def test_other_key_rejected(key):
    signed = sign_receipt(ServerKey.generate(), RECEIPT)
    assert not verify_receipt(key.public_key_hex, signed)


def test_bad_signature_bytes_rejected(key):
    signed = sign_receipt(key, RECEIPT)
    bad = SignedReceipt(signed.receipt, bytes(64), signed.server_public_key)
    assert not verify_receipt(key.public_key_hex, bad)


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"type":"other"}',
        '{"type":"decide-receipt/v1","round":"r","sequence":1}',
        '{"type":"decide-receipt/v2","round":"r","tracker":"00","commitment":""}',
        '{"type":"decide-receipt/v2","round":"r","tracker":"' + "00" * 16 + '"}',
        "not json",
    ],
)
def test_malformed_receipt_raises(text):
    with pytest.raises(ValueError):
        SignedReceipt.from_json(text)


def test_uppercase_hex_refused(key):
    body = json.loads(sign_receipt(key, RECEIPT).to_json())
    body["commitment"] = body["commitment"].upper()
    with pytest.raises(ValueError):
        SignedReceipt.from_dict(body)


def test_pem_round_trip(key, tmp_path):
    path = tmp_path / "server.pem"
    key.save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    loaded = ServerKey.load(path)
    assert loaded.public_key_hex == key.public_key_hex
    assert ServerKey.from_pem(key.to_pem()).public_key_hex == key.public_key_hex
    with pytest.raises(FileExistsError):
        key.save(path)


def test_check_counted(key):
    from audits.board import board_leaf
    from audits.merkle import MerkleTree
    from audits.receipts import check_counted

    lines = [(bytes([i]) * 16, bytes([i]) * 32) for i in range(1, 8)]
    leaves = [board_leaf("round-1", i, t, c) for i, (t, c) in enumerate(lines, 1)]
    tree = MerkleTree(leaves)
    signed = sign_receipt(key, Receipt("round-1", *lines[3]))
    args = {"server_public_key": key.public_key_hex, "board_root": tree.root, "ballot_count": 7}
    ok, reason = check_counted(signed, round_id="round-1", proof=tree.proof(3), **args)
    assert ok, reason
    assert not check_counted(signed, round_id="round-2", proof=tree.proof(3), **args)[0]
    assert not check_counted(signed, round_id="round-1", proof=tree.proof(2), **args)[0]
    other = sign_receipt(key, Receipt("round-1", lines[3][0], lines[2][1]))
    assert not check_counted(other, round_id="round-1", proof=tree.proof(3), **args)[0]


def test_the_commitment_hides_the_ballot_without_the_salt():
    """A buyer holding the receipt cannot test candidate ballots: the salt is not in it."""
    import secrets

    from audits.board import commitment

    ballot = b'{"choices":["P1"],"type":"approval","v":1}'
    salt = secrets.token_bytes(32)
    c = commitment(salt, ballot)
    assert c == commitment(salt, ballot)
    assert c != commitment(bytes(32), ballot)  # guessing the salt does not work
    assert commitment(secrets.token_bytes(32), ballot) != c

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audits.merkle import InclusionProof, MerkleTree, merkle_root, verify_inclusion


def ref_root(d):
    """RFC 6962 MTH, written recursively straight from the RFC."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_root(d[:k]) + ref_root(d[k:])).digest()


def ref_path(m, d):
    n = len(d)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, d[:k]), ref_root(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_root(d[:k])]


def data(n):
    return [i.to_bytes(4, "big") * 8 for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 7, 8, 9, 17, 33])
def test_matches_rfc_definition(n):
    d = data(n)
    tree = MerkleTree(d)
    assert tree.root == ref_root(d)
    for m in range(n):
        proof = tree.proof(m)
        assert list(proof.path) == ref_path(m, d)
        assert verify_inclusion(d[m], proof, tree.root)


def test_rfc6962_empty_root():
    assert merkle_root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@given(st.integers(1, 70), st.data())
def test_wrong_leaf_index_or_root_fails(n, draw):
    d = data(n)
    tree = MerkleTree(d)
    m = draw.draw(st.integers(0, n - 1))
    proof = tree.proof(m)
    assert verify_inclusion(d[m], proof, tree.root)
    assert not verify_inclusion(d[m] + b"x", proof, tree.root)
    assert not verify_inclusion(d[m], proof, b"\0" * 32)
    other = draw.draw(st.integers(0, n - 1))
    if other != m:
        moved = InclusionProof(other, n, proof.path)
        assert not verify_inclusion(d[m], moved, tree.root)
    # The root does not bind the tree size on its own (index 0 of 3 and of 4 share a path
    # shape), so the verifier also compares proof.size with the manifest's ballot count.


def test_proof_dict_round_trip():
    tree = MerkleTree(data(10))
    proof = tree.proof(6)
    assert InclusionProof.from_dict(proof.to_dict()) == proof
    with pytest.raises(ValueError):
        InclusionProof.from_dict({"index": 1, "size": 2, "path": ["zz"]})
    with pytest.raises(IndexError):
        tree.proof(10)

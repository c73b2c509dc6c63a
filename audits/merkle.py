"""An RFC 6962 Merkle tree over the round's chain leaves, with inclusion proofs.

Definitions (RFC 6962 section 2.1; RFC 9162 section 2.1 is the same tree), ``H`` = SHA-256::

    MTH({})        = H(b"")
    MTH({d0})      = H(0x00 || d0)                      leaf hash
    MTH(D[0:n])    = H(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   node hash, n > 1,
                     k = the largest power of two smaller than n

Here each ``d_i`` is the 32-byte chain leaf of the ballot with sequence ``i + 1`` (see
`audits.chain`), so the data hashed for a leaf is exactly 33 bytes. That tree is the same as
the one built bottom-up by hashing neighbours in pairs, left to right, and carrying a lone last
node up unchanged; this module builds it that way (about 2n hashes, no recursion).

An inclusion proof for index ``m`` in a tree of ``n`` leaves is RFC 6962's ``PATH(m, D[n])``:
the sibling hashes from the leaf level up to just below the root. In JSON it is written
``{"index": m, "size": n, "path": [hex, ...]}``; `verify_inclusion` follows RFC 9162 2.1.3.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "InclusionProof",
    "MerkleTree",
    "leaf_node",
    "merkle_root",
    "node_hash",
    "verify_inclusion",
]

_sha256 = hashlib.sha256


def leaf_node(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash H(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash H(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True)
class InclusionProof:
    """The audit path proving that leaf `index` is in a tree of `size` leaves."""

    index: int
    size: int
    path: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the proof as plain JSON values (hashes in hex)."""
        return {"index": self.index, "size": self.size, "path": [p.hex() for p in self.path]}

    @classmethod
    def from_dict(cls, data: Any) -> InclusionProof:
        """Build a proof from `to_dict` output, or raise ValueError."""
        try:
            index, size, path = data["index"], data["size"], data["path"]
            if not (isinstance(index, int) and isinstance(size, int) and isinstance(path, list)):
                raise TypeError
            hashes = tuple(bytes.fromhex(p) for p in path)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("malformed inclusion proof") from exc
        if any(len(h) != 32 for h in hashes):
            raise ValueError("malformed inclusion proof: hashes are 32 bytes")
        return cls(index, size, hashes)


class MerkleTree:
    """An immutable RFC 6962 tree over a sequence of leaf data, keeping every level."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        level = [_sha256(b"\x00" + d).digest() for d in leaves]
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            nxt = [
                _sha256(b"\x01" + level[i] + level[i + 1]).digest()
                for i in range(0, len(level) - 1, 2)
            ]
            if len(level) % 2:
                nxt.append(level[-1])
            self._levels.append(nxt)
            level = nxt

    @property
    def size(self) -> int:
        """Return the number of leaves."""
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """Return the tree head MTH(D[n])."""
        if not self._levels[0]:
            return _sha256(b"").digest()
        return self._levels[-1][0]

    def proof(self, index: int) -> InclusionProof:
        """Return the inclusion proof for leaf `index` (0-based)."""
        if not 0 <= index < self.size:
            raise IndexError(f"leaf {index} is not in a tree of {self.size} leaves")
        path = []
        i = index
        for level in self._levels[:-1]:
            sibling = i ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            i //= 2
        return InclusionProof(index, self.size, tuple(path))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Return the RFC 6962 root over `leaves`."""
    return MerkleTree(leaves).root


def verify_inclusion(leaf_data: bytes, proof: InclusionProof, root: bytes) -> bool:
    """Return whether `proof` shows `leaf_data` at `proof.index` under `root` (RFC 9162 2.1.3.2)."""
    if not 0 <= proof.index < proof.size:
        return False
    fn, sn = proof.index, proof.size - 1
    r = leaf_node(leaf_data)
    for p in proof.path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root

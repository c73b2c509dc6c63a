"""Ballot receipts signed with the server's Ed25519 key.

A receipt says "a ballot was sealed under this tracker": round, tracker and the ballot's
commitment. It shows no choices, and cannot reveal them: the commitment is salted with 32
random bytes that are in no receipt and are deleted when the box is opened at close
(`audits.board`). The voter keeps it as a downloadable JSON file.

Byte formats:

- The receipt body is this JSON object (the tracker and the commitment in lowercase hex)::

      {"type": "decide-receipt/v2", "round": str, "tracker": 32 hex, "commitment": 64 hex}

- The signed message is ``b"decide/receipt/v2\\x00" || canonical_json(body)`` (see
  `audits.canonical`); the signature is Ed25519 (RFC 8032, pure Ed25519, 64 bytes).
- The receipt file the voter keeps is the canonical JSON of the body plus two more keys:
  ``"signature"`` (128 hex) and ``"server_public_key"`` (64 hex, the raw 32-byte Ed25519 key).
  The embedded key only says which key signed; `verify_receipt` checks against the key the
  caller trusts (the one published in the manifest), never against the embedded one.
- The server's private key is stored as unencrypted PKCS#8 PEM; the public key is published as
  the 32 raw bytes in hex.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audits.canonical import CanonicalJSONError, canonical_json, parse_json
from audits.chain import TRACKER_BYTES
from audits.merkle import InclusionProof, verify_inclusion

__all__ = [
    "RECEIPT_DOMAIN",
    "RECEIPT_TYPE",
    "Receipt",
    "ServerKey",
    "SignedReceipt",
    "check_counted",
    "load_public_key",
    "sign_receipt",
    "verify_receipt",
]

RECEIPT_TYPE = "decide-receipt/v2"
RECEIPT_DOMAIN = b"decide/receipt/v2\x00"
RECEIPT_FIELDS = ("type", "round", "tracker", "commitment")


def _hex(value: Any, size: int, name: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"receipt field {name!r} must be a hex string")
    try:
        data = bytes.fromhex(value)
    except ValueError as exc:
        raise ValueError(f"receipt field {name!r} is not hex") from exc
    if len(data) != size or value != data.hex():
        raise ValueError(f"receipt field {name!r} must be {2 * size} lowercase hex characters")
    return data


@dataclass(frozen=True)
class Receipt:
    """What the server promises a voter: a ballot sealed under this tracker and commitment."""

    round_id: str
    tracker: bytes
    commitment: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.round_id, str) or not self.round_id:
            raise ValueError("receipt round must be a non-empty string")
        if len(self.tracker) != TRACKER_BYTES or len(self.commitment) != 32:
            raise ValueError("receipt tracker is 16 bytes, commitment 32 bytes")

    def to_dict(self) -> dict[str, Any]:
        """Return the receipt body as plain JSON values."""
        return {
            "type": RECEIPT_TYPE,
            "round": self.round_id,
            "tracker": self.tracker.hex(),
            "commitment": self.commitment.hex(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Receipt:
        """Build a receipt from its body, or raise ValueError naming the bad field."""
        if not isinstance(data, dict):
            raise ValueError("a receipt is a JSON object")
        if data.get("type") != RECEIPT_TYPE:
            raise ValueError(f"not a receipt (type must be {RECEIPT_TYPE!r})")
        for name in RECEIPT_FIELDS:
            if name not in data:
                raise ValueError(f"receipt field {name!r} is missing")
        return cls(
            round_id=data["round"],
            tracker=_hex(data["tracker"], TRACKER_BYTES, "tracker"),
            commitment=_hex(data["commitment"], 32, "commitment"),
        )

    def signing_message(self) -> bytes:
        """Return the exact bytes the server signs."""
        return RECEIPT_DOMAIN + canonical_json(self.to_dict())

    def to_json(self) -> bytes:
        """Return the unsigned receipt body as canonical JSON."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_json(cls, data: bytes | str) -> Receipt:
        """Parse a receipt body (extra signature fields are ignored), or raise ValueError."""
        try:
            return cls.from_dict(parse_json(data))
        except CanonicalJSONError as exc:
            raise ValueError(f"receipt is not valid JSON: {exc}") from exc


@dataclass(frozen=True)
class SignedReceipt:
    """A receipt with the server's signature and the (untrusted) public key that made it."""

    receipt: Receipt
    signature: bytes
    server_public_key: bytes

    def to_dict(self) -> dict[str, Any]:
        """Return the receipt file's content as plain JSON values."""
        return self.receipt.to_dict() | {
            "signature": self.signature.hex(),
            "server_public_key": self.server_public_key.hex(),
        }

    def to_json(self) -> bytes:
        """Return the receipt file the voter downloads (canonical JSON)."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> SignedReceipt:
        """Build a signed receipt from a receipt file's object, or raise ValueError."""
        receipt = Receipt.from_dict(data)
        extra = set(data) - set(RECEIPT_FIELDS)
        if extra != {"signature", "server_public_key"}:
            raise ValueError(
                "a signed receipt has exactly the fields type, round, tracker, commitment, "
                "signature and server_public_key"
            )
        return cls(
            receipt,
            _hex(data["signature"], 64, "signature"),
            _hex(data["server_public_key"], 32, "server_public_key"),
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> SignedReceipt:
        """Parse a receipt file, or raise ValueError saying what is wrong."""
        try:
            return cls.from_dict(parse_json(data))
        except CanonicalJSONError as exc:
            raise ValueError(f"receipt is not valid JSON: {exc}") from exc


def load_public_key(public_key: Ed25519PublicKey | bytes | str) -> Ed25519PublicKey:
    """Return an Ed25519 public key from a key object, its 32 raw bytes, or their hex."""
    if isinstance(public_key, Ed25519PublicKey):
        return public_key
    raw = bytes.fromhex(public_key) if isinstance(public_key, str) else public_key
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes (64 hex characters)")
    return Ed25519PublicKey.from_public_bytes(raw)


class ServerKey:
    """The server's Ed25519 receipt-signing key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key

    @classmethod
    def generate(cls) -> ServerKey:
        """Return a new key from the operating system's secure randomness."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> ServerKey:
        """Load a key from unencrypted PKCS#8 PEM bytes, or raise ValueError."""
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM file does not hold an Ed25519 private key")
        return cls(key)

    def to_pem(self) -> bytes:
        """Return the key as unencrypted PKCS#8 PEM bytes."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ServerKey:
        """Read a PEM key file."""
        return cls.from_pem(Path(path).read_bytes())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the key as PEM to a new file readable only by its owner (mode 0600)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.to_pem())

    @property
    def public_key(self) -> Ed25519PublicKey:
        """Return the public key object."""
        return self._key.public_key()

    @property
    def public_key_bytes(self) -> bytes:
        """Return the 32 raw public key bytes."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_key_hex(self) -> str:
        """Return the public key as 64 lowercase hex characters (as published)."""
        return self.public_key_bytes.hex()

    def derive_key(self, info: bytes) -> bytes:
        """Return a 32-byte key for another purpose, HKDF-SHA256 from the private key."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        raw = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(raw)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of `message`."""
        return self._key.sign(message)


def sign_receipt(key: ServerKey, receipt: Receipt) -> SignedReceipt:
    """Sign `receipt` with the server key."""
    return SignedReceipt(receipt, key.sign(receipt.signing_message()), key.public_key_bytes)


def verify_receipt(public_key: Ed25519PublicKey | bytes | str, signed: SignedReceipt) -> bool:
    """Return whether `signed` carries a valid signature by `public_key` over its exact fields."""
    try:
        key = load_public_key(public_key)
        key.verify(signed.signature, signed.receipt.signing_message())
    except (InvalidSignature, ValueError):
        return False
    return True


def check_counted(
    signed: SignedReceipt,
    *,
    server_public_key: Ed25519PublicKey | bytes | str,
    round_id: str,
    board_root: bytes,
    ballot_count: int,
    proof: InclusionProof,
) -> tuple[bool, str]:
    """Check "my ballot was counted": signature, round, and inclusion under the board root.

    `proof` is the inclusion proof of the receipt's board line (`audits.board.board_leaf` at
    its position), which the public round page serves; the rest comes from the manifest.
    """
    r = signed.receipt
    if r.round_id != round_id:
        return False, f"this receipt is for round {r.round_id!r}, not {round_id!r}"
    if not verify_receipt(server_public_key, signed):
        return False, "the receipt's signature is not valid for this round's server key"
    if proof.size != ballot_count:
        return False, "the inclusion proof is for another board"
    from audits.board import board_leaf

    leaf = board_leaf(round_id, proof.index + 1, r.tracker, r.commitment)
    if not verify_inclusion(leaf, proof, board_root):
        return False, "the receipt's tracker and commitment are not under the board root"
    return True, f"your ballot is one of the {ballot_count} ballots counted"

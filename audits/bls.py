"""BLS co-signing (BLS12-381, the proof-of-possession scheme of the IETF BLS draft, via py-ecc).

Panel members sign the digest of a manifest or a ledger checkpoint. Public keys are 48-byte
compressed G1 points, signatures and proofs of possession 96-byte compressed G2 points
(``G2ProofOfPossession`` in py-ecc: ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``
for signatures and ``BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`` for proofs).

Byte formats:

- The message a member signs is ``b"decide/cosign/v1\\x00" || digest`` where ``digest`` is the
  32-byte SHA-256 of the canonical JSON of the signed document (see `audits.canonical`). The
  document's ``"type"`` field (``decide-manifest/v1`` or ``decide-ledger-checkpoint/v1``) is
  inside the digest, so a signature on one kind of document never counts for another.
- A private key file is JSON ``{"type": "decide-bls-private-key/v1", "name": str,
  "secret_key": 64 hex, "fingerprint": str}`` (the secret scalar, big-endian, 32 bytes; the
  fingerprint of its public key, so its owner can compare it with the minutes).
- A public key record is ``{"type": "decide-bls-public-key/v1", "name": str,
  "public_key": 96 hex, "proof_of_possession": 192 hex, "fingerprint": str}`` plus, in a
  round's keys.json, ``"role": "panel" | "official"``. ``fingerprint`` is optional on input
  and must then be right.
- A key's fingerprint, short enough to read aloud and print in minutes, is the first 10 bytes
  of ``SHA-256(b"decide/key-fingerprint/v1\x00" || public key)`` in Crockford base32
  (``0123456789ABCDEFGHJKMNPQRSTVWXYZ``), 16 letters in groups of four: ``7K2F-9QXM-A4D1-B8CE``.
- A signature record is ``{"type": "decide-signature/v1", "signer": str, "public_key": 96 hex,
  "document_type": str, "digest": 64 hex, "signature": 192 hex}``.

Rogue keys: py-ecc's ``FastAggregateVerify`` sums the public keys it is given and checks one
pairing, so a key chosen as ``x·G - pk_honest`` lets one person forge an "aggregate" for
everyone. The defence is the proof of possession, which such a key cannot have; that is why
`verify_aggregate` checks every key's proof before it aggregates (Boneh, Drijvers, Neven,
"Compact multi-signatures for smaller blockchains", 2018; Ristenpart and Yilek, 2007).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import BLSPubkey, BLSSignature
from py_ecc.bls.ciphersuites import G2ProofOfPossession as _Scheme

from audits.canonical import canonical_json, sha256, unhex

__all__ = [
    "COSIGN_DOMAIN",
    "BlsKeyPair",
    "PublicKeyRecord",
    "SignatureRecord",
    "aggregate",
    "check_cosigned",
    "cosign_message",
    "document_digest",
    "fingerprint",
    "generate",
    "pop_prove",
    "pop_verify",
    "sign",
    "sign_document",
    "verify",
    "verify_aggregate",
]

COSIGN_DOMAIN = b"decide/cosign/v1\x00"
FINGERPRINT_DOMAIN = b"decide/key-fingerprint/v1\x00"
ROLES = ("panel", "official")
PUBLIC_KEY_TYPE = "decide-bls-public-key/v1"
PRIVATE_KEY_TYPE = "decide-bls-private-key/v1"
SIGNATURE_TYPE = "decide-signature/v1"
_CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001


def _hexfield(data: Any, name: str, size: int) -> bytes:
    value = data.get(name) if isinstance(data, dict) else None
    return unhex(value, size, f"field {name!r}")


def _name(data: Any, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"field {key!r} must be a non-empty string")
    return value


def fingerprint(public_key: bytes) -> str:
    """Return a public key's short fingerprint, e.g. ``7K2F-9QXM-A4D1-B8CE`` (80 bits)."""
    digest = sha256(FINGERPRINT_DOMAIN + bytes(public_key))[:10]
    number = int.from_bytes(digest, "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    letters = "".join(alphabet[(number >> (5 * i)) & 31] for i in range(15, -1, -1))
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


def document_digest(document: Any) -> bytes:
    """Return the 32-byte SHA-256 of a document's canonical JSON."""
    return sha256(canonical_json(document))


def cosign_message(digest: bytes) -> bytes:
    """Return the bytes a panel member signs for a document digest."""
    if len(digest) != 32:
        raise ValueError("a document digest is 32 bytes")
    return COSIGN_DOMAIN + digest


@dataclass(frozen=True)
class BlsKeyPair:
    """A member's secret scalar and the public key derived from it."""

    name: str
    secret_key: int
    public_key: bytes

    def private_record(self) -> dict[str, Any]:
        """Return the private key file's content."""
        return {
            "type": PRIVATE_KEY_TYPE,
            "name": self.name,
            "secret_key": self.secret_key.to_bytes(32, "big").hex(),
            "fingerprint": fingerprint(self.public_key),
        }

    @classmethod
    def from_private_record(cls, data: Any) -> BlsKeyPair:
        """Load a key pair from a private key file's content, or raise ValueError."""
        if not isinstance(data, dict) or data.get("type") != PRIVATE_KEY_TYPE:
            raise ValueError(f"not a private key file (type must be {PRIVATE_KEY_TYPE!r})")
        sk = int.from_bytes(_hexfield(data, "secret_key", 32), "big")
        if not 0 < sk < _CURVE_ORDER:
            raise ValueError("secret key out of range")
        return cls(_name(data, "name"), sk, bytes(_Scheme.SkToPk(sk)))

    def public_record(self) -> PublicKeyRecord:
        """Return the public key with its proof of possession (slow: one G2 multiplication)."""
        return PublicKeyRecord(self.name, self.public_key, pop_prove(self.secret_key))


def generate(name: str, seed: bytes | None = None) -> BlsKeyPair:
    """Return a new key pair from 32 bytes of secure randomness (or a given seed, for tests)."""
    ikm = secrets.token_bytes(32) if seed is None else seed
    if len(ikm) < 32:
        raise ValueError("key material must be at least 32 bytes")
    sk = _Scheme.KeyGen(ikm)
    return BlsKeyPair(name, sk, bytes(_Scheme.SkToPk(sk)))


def pop_prove(secret_key: int) -> bytes:
    """Return the proof of possession of a secret key."""
    return bytes(_Scheme.PopProve(secret_key))


# Pairings cost tenths of a second in py-ecc; results depend only on the bytes, so a
# verifier that checks the same key or signature twice (manifest and checkpoints) pays once.
@functools.lru_cache(maxsize=4096)
def pop_verify(public_key: bytes, proof: bytes) -> bool:
    """Return whether `proof` proves possession of the secret key behind `public_key`."""
    try:
        return bool(_Scheme.PopVerify(BLSPubkey(bytes(public_key)), BLSSignature(bytes(proof))))
    except Exception:  # py-ecc raises assorted errors on malformed points
        return False


def sign(secret_key: int, digest: bytes) -> bytes:
    """Return the BLS signature of a document digest."""
    return bytes(_Scheme.Sign(secret_key, cosign_message(digest)))


@functools.lru_cache(maxsize=4096)
def verify(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    """Return whether `signature` by `public_key` signs `digest`."""
    try:
        return bool(
            _Scheme.Verify(BLSPubkey(public_key), cosign_message(digest), BLSSignature(signature))
        )
    except Exception:
        return False


def aggregate(signatures: Sequence[bytes]) -> bytes:
    """Return the aggregate of one or more signatures."""
    if not signatures:
        raise ValueError("nothing to aggregate")
    return bytes(_Scheme.Aggregate([BLSSignature(s) for s in signatures]))


@functools.lru_cache(maxsize=1024)
def _fast_aggregate_verify(pks: tuple[bytes, ...], message: bytes, signature: bytes) -> bool:
    try:
        return bool(
            _Scheme.FastAggregateVerify(
                [BLSPubkey(pk) for pk in pks], message, BLSSignature(signature)
            )
        )
    except Exception:
        return False


def verify_aggregate(
    keys: Sequence[tuple[bytes, bytes]], digest: bytes, aggregate_signature: bytes
) -> tuple[bool, str]:
    """Check each (public key, proof of possession), then the aggregate over `digest`.

    Returns (ok, reason). The proofs are checked here because py-ecc's FastAggregateVerify
    does not check them, and without them a rogue key passes.
    """
    if not keys:
        return False, "no public keys"
    pks = [pk for pk, _ in keys]
    if len(set(pks)) != len(pks):
        return False, "a public key appears twice"
    for pk, proof in keys:
        if not pop_verify(pk, proof):
            return False, f"key {pk.hex()[:16]}… has no valid proof of possession"
    ok = _fast_aggregate_verify(tuple(pks), cosign_message(digest), aggregate_signature)
    return (True, "") if ok else (False, "the aggregate signature does not verify")


@dataclass(frozen=True)
class PublicKeyRecord:
    """A member's name, public key and proof of possession, as registered and published."""

    name: str
    public_key: bytes
    proof_of_possession: bytes
    role: str = ""

    @property
    def fingerprint(self) -> str:
        """Return the key's short fingerprint."""
        return fingerprint(self.public_key)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON values."""
        out = {
            "type": PUBLIC_KEY_TYPE,
            "name": self.name,
            "public_key": self.public_key.hex(),
            "proof_of_possession": self.proof_of_possession.hex(),
            "fingerprint": self.fingerprint,
        }
        if self.role:
            out["role"] = self.role
        return out

    @classmethod
    def from_dict(cls, data: Any) -> PublicKeyRecord:
        """Build a record from its JSON object, or raise ValueError."""
        if not isinstance(data, dict) or data.get("type") != PUBLIC_KEY_TYPE:
            raise ValueError(f"not a public key record (type must be {PUBLIC_KEY_TYPE!r})")
        role = data.get("role", "")
        if role and role not in ROLES:
            raise ValueError(f"field 'role' must be one of {', '.join(ROLES)}")
        record = cls(
            _name(data, "name"),
            _hexfield(data, "public_key", 48),
            _hexfield(data, "proof_of_possession", 96),
            role,
        )
        if "fingerprint" in data and data["fingerprint"] != record.fingerprint:
            raise ValueError(
                f"field 'fingerprint' says {data['fingerprint']!r}, but the key's fingerprint "
                f"is {record.fingerprint}"
            )
        return record

    def check(self) -> bool:
        """Return whether the proof of possession is valid (what registration checks)."""
        return pop_verify(self.public_key, self.proof_of_possession)


@dataclass(frozen=True)
class SignatureRecord:
    """One member's signature over one document digest."""

    signer: str
    public_key: bytes
    document_type: str
    digest: bytes
    signature: bytes

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON values."""
        return {
            "type": SIGNATURE_TYPE,
            "signer": self.signer,
            "public_key": self.public_key.hex(),
            "document_type": self.document_type,
            "digest": self.digest.hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SignatureRecord:
        """Build a record from its JSON object, or raise ValueError."""
        if not isinstance(data, dict) or data.get("type") != SIGNATURE_TYPE:
            raise ValueError(f"not a signature record (type must be {SIGNATURE_TYPE!r})")
        return cls(
            _name(data, "signer"),
            _hexfield(data, "public_key", 48),
            _name(data, "document_type"),
            _hexfield(data, "digest", 32),
            _hexfield(data, "signature", 96),
        )

    def check(self, digest: bytes | None = None) -> bool:
        """Return whether the signature is valid (and over `digest`, when given)."""
        if digest is not None and digest != self.digest:
            return False
        return verify(self.public_key, self.digest, self.signature)


def sign_document(key: BlsKeyPair, document: Any) -> SignatureRecord:
    """Sign a digest-bearing JSON document (a manifest or a ledger checkpoint)."""
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise ValueError("only JSON objects with a 'type' field can be co-signed")
    digest = document_digest(document)
    return SignatureRecord(
        key.name, key.public_key, document["type"], digest, sign(key.secret_key, digest)
    )


def check_cosigned(
    digest: bytes,
    document_type: str,
    signatures: Sequence[SignatureRecord],
    aggregate_signature: bytes | None,
    keys: Sequence[PublicKeyRecord],
    threshold: int,
) -> tuple[bool, str]:
    """Check k-of-n co-signatures on one digest against registered keys; return (ok, reason).

    Every registered key's proof of possession, every signature, no signer twice, at least
    `threshold` distinct registered signers, and the aggregate over exactly those signers.
    """
    by_key = {k.public_key: k for k in keys}
    if len(by_key) != len(keys):
        return False, "a public key is registered twice"
    for k in keys:
        if not k.check():
            return False, f"key of {k.name!r} has no valid proof of possession"
    seen: set[bytes] = set()
    for s in signatures:
        if s.public_key not in by_key:
            return False, f"signature by {s.signer!r} uses a key that is not registered"
        if by_key[s.public_key].name != s.signer:
            return False, (
                f"signature names {s.signer!r} but the key is registered to "
                f"{by_key[s.public_key].name!r}"
            )
        if s.public_key in seen:
            return False, f"signer {s.signer!r} is counted twice"
        seen.add(s.public_key)
        if s.document_type != document_type or s.digest != digest:
            return False, f"signature by {s.signer!r} is over another document"
        if not s.check(digest):
            return False, f"signature by {s.signer!r} does not verify"
    if threshold < 1:
        return False, f"threshold k={threshold} is not a positive number"
    if len(seen) < threshold:
        return False, f"{len(seen)} valid signers, fewer than the threshold k={threshold}"
    if aggregate_signature is None:
        return False, "no aggregate signature"
    if aggregate([s.signature for s in signatures]) != aggregate_signature:
        return False, "the aggregate is not the aggregate of the listed signatures"
    pairs = [(s.public_key, by_key[s.public_key].proof_of_possession) for s in signatures]
    ok, reason = verify_aggregate(pairs, digest, aggregate_signature)
    if not ok:
        return False, reason
    return True, f"{len(seen)} of {len(keys)} signers, threshold {threshold}"

"""The sealed ballot box: envelopes, the tracker lookup and sealed receipts.

Keys. Every key is derived with HKDF-SHA256 from the server's receipt-signing key (its raw
32-byte Ed25519 private key, kept in ``instance/receipt_key.pem``, never in the database),
with the purpose and the round in HKDF's ``info``, so each round and each use has its own key.
We derive from the receipt key rather than ``SECRET_KEY`` because every path that casts or
closes already holds it, and it is the key the published manifest names.

Envelope. The plaintext is canonical JSON {"tracker", "salt", "route", "choices"} (hex and
the choices as the board stores them), prefixed by its length (u32) and zero-padded to the
round's capacity: the size of the largest valid ballot of the round (every project, each with
the most points), rounded up to a multiple of `PAD` (`envelope_capacity`). So every envelope of
a round has one size: the xmin join links a voter to a ciphertext whose length says nothing
either (an outside tester found that a 512-byte pad let an unusually long ballot stand out).
It is encrypted with ChaCha20-Poly1305 (RFC 8439, from `cryptography`, which the project
already uses for Ed25519) under a fresh 12-byte nonce; the associated data binds the round and
the envelope's random id, so an envelope cannot be moved to another round or row. Stored as
``nonce || ciphertext``.

Lookup. ``HMAC-SHA256(lookup key, tracker)``: the receipt check during voting finds an
envelope by the tracker the voter pastes, but the column is useless to anyone without the key.

Sealed receipt. The mark keeps ``nonce || ChaCha20-Poly1305(tracker || commitment)`` with the
round and the register key as associated data, so the voter can get the receipt again by
proving the same eligibility, and nobody without the key can read it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from audits.board import SALT_BYTES, commitment
from audits.chain import TRACKER_BYTES
from audits.receipts import ServerKey

PAD = 512


def _random(n: int) -> bytes:
    """Return n random bytes (one seam, so tests can make boards reproducible)."""
    return secrets.token_bytes(n)


NONCE_BYTES = 12
ENVELOPE_ID_BYTES = 16


# The longest route an envelope records ("online" or "paper").
_LONGEST_ROUTE = "online"


def _body(tracker: bytes, salt: bytes, route: str, choices_json: str) -> bytes:
    return json.dumps(
        {"tracker": tracker.hex(), "salt": salt.hex(), "route": route, "choices": choices_json},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def envelope_capacity(codes: Sequence[str], max_points: int | None) -> int:
    """Return the padded plaintext size that holds any valid ballot of a round.

    `codes` are all the round's project codes; `max_points` bounds one project's points
    (None when the ballot kind has no points). A valid ballot names each project at most once.
    """
    worst = json.dumps(
        {
            "projects": list(codes),
            "points": [max_points] * len(codes) if max_points is not None else None,
        },
        separators=(",", ":"),
    )
    size = 4 + len(_body(bytes(TRACKER_BYTES), bytes(SALT_BYTES), _LONGEST_ROUTE, worst))
    return size + (-size % PAD)


def derive_key(server_key: ServerKey, purpose: str, round_id: int) -> bytes:
    """Return the 32-byte key for one purpose in one round (HKDF-SHA256)."""
    return server_key.derive_key(f"decide/{purpose}/v1\x00{round_id}".encode())


@dataclass(frozen=True)
class Opened:
    """An envelope's contents."""

    tracker: bytes
    salt: bytes
    route: str
    choices_json: str


@dataclass(frozen=True)
class Sealed:
    """What a cast stores (the envelope row) and what it hands the voter (the receipt)."""

    envelope_id: bytes
    lookup: bytes
    box: bytes
    tracker: bytes
    commitment: bytes


class BoxKeys:
    """The round's three derived keys; one object per cast or close."""

    def __init__(self, server_key: ServerKey, round_id: int) -> None:
        self.round_id = round_id
        self._box = ChaCha20Poly1305(derive_key(server_key, "box", round_id))
        self._lookup = derive_key(server_key, "lookup", round_id)
        self._receipt = ChaCha20Poly1305(derive_key(server_key, "receipt-seal", round_id))

    def lookup(self, tracker: bytes) -> bytes:
        """Return the keyed hash that finds an envelope by its tracker."""
        return hmac.new(self._lookup, tracker, hashlib.sha256).digest()

    def _aad(self, envelope_id: bytes) -> bytes:
        return f"decide/envelope/v1\x00{self.round_id}\x00".encode() + envelope_id

    def seal(
        self, ballot_bytes: bytes, choices_json: str, route: str, *, capacity: int = PAD
    ) -> Sealed:
        """Seal one ballot under a fresh tracker and salt, padded to the round's `capacity`."""
        tracker = _random(TRACKER_BYTES)
        salt = _random(SALT_BYTES)
        body = _body(tracker, salt, route, choices_json)
        plain = struct.pack(">I", len(body)) + body
        if len(plain) > capacity:  # never for a valid ballot: capacity bounds them all
            raise ValueError("a ballot larger than the round's envelope capacity")
        plain += b"\x00" * (capacity - len(plain))
        envelope_id = _random(ENVELOPE_ID_BYTES)
        nonce = _random(NONCE_BYTES)
        box = nonce + self._box.encrypt(nonce, plain, self._aad(envelope_id))
        return Sealed(
            envelope_id, self.lookup(tracker), box, tracker, commitment(salt, ballot_bytes)
        )

    def open(self, envelope_id: bytes, box: bytes) -> Opened:
        """Decrypt one envelope (raises cryptography's InvalidTag if it was changed)."""
        plain = self._box.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], self._aad(envelope_id))
        (size,) = struct.unpack(">I", plain[:4])
        data = json.loads(plain[4 : 4 + size])
        return Opened(
            bytes.fromhex(data["tracker"]),
            bytes.fromhex(data["salt"]),
            data["route"],
            data["choices"],
        )

    def seal_receipt(self, voter_key: str, tracker: bytes, commit: bytes) -> bytes:
        """Return the receipt sealed for the voter's mark."""
        nonce = _random(NONCE_BYTES)
        aad = f"decide/receipt-seal/v1\x00{self.round_id}\x00{voter_key}".encode()
        return nonce + self._receipt.encrypt(nonce, tracker + commit, aad)

    def open_receipt(self, voter_key: str, sealed: bytes) -> tuple[bytes, bytes]:
        """Return (tracker, commitment) from a mark's sealed receipt."""
        aad = f"decide/receipt-seal/v1\x00{self.round_id}\x00{voter_key}".encode()
        plain = self._receipt.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        return plain[:TRACKER_BYTES], plain[TRACKER_BYTES:]

"""Panel keys and co-signatures: registration with proof of possession, verified uploads.

Private keys never reach the server: members run ``decide-keys new`` on their own machine and
register the public key file it writes; they sign with ``decide-keys sign`` and upload the
signature file, or sign in the browser (static/js/cosign.js), whose page posts the same
signature record and never the key. The server checks the proof of possession at
registration and the signature at upload, and stores nothing when a check fails.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audits.bls import PRIVATE_KEY_TYPE, PublicKeyRecord, SignatureRecord, aggregate
from audits.canonical import CanonicalJSONError, parse_json
from decide.models import CosignSignature, Round, RoundManifest, SigningKey, User
from decide.services.errors import DomainError, NotAllowed
from decide.services.unit_of_work import transactional

MANIFEST_TYPE = "decide-manifest/v1"
CHECKPOINT_TYPE = "decide-ledger-checkpoint/v1"
MAX_UPLOAD = 64 * 1024


class KeyRefused(DomainError):
    """A public key that cannot be registered."""


class SignatureRefused(DomainError):
    """A signature that is not valid, or not wanted."""


def signer_role(user: User, rnd: Round) -> str | None:
    """Return 'panel' or 'official' when the user may hold a key for this round, else None."""
    if getattr(user, "id", None) is None:
        return None
    if rnd.has_panel_member(user.id):
        return "panel"
    if getattr(user, "is_facilitator", False):
        return "official"
    return None


def _json(data: bytes | str, what: str) -> object:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip():
        raise DomainError(f"Choose the {what} file or paste its content.")
    if len(raw) > MAX_UPLOAD:
        raise DomainError(f"That is too large to be a {what} file.")
    try:
        return parse_json(raw)
    except (CanonicalJSONError, ValueError, UnicodeDecodeError) as exc:
        raise DomainError(f"This is not a {what} file we can read: {exc}") from None


def round_keys(session: Session, round_id: int) -> list[SigningKey]:
    """Return the round's registered keys, in registration order."""
    return list(
        session.scalars(
            select(SigningKey).where(SigningKey.round_id == round_id).order_by(SigningKey.id)
        )
    )


def key_record(key: SigningKey) -> PublicKeyRecord:
    """Return a registered key as the audits record."""
    return PublicKeyRecord(
        key.name,
        bytes.fromhex(key.public_key),
        bytes.fromhex(key.proof_of_possession),
        key.role if key.role in ("panel", "official") else "",
    )


def key_of(session: Session, round_id: int, user_id: int) -> SigningKey | None:
    """Return the user's registered key for this round, or None."""
    return session.scalar(
        select(SigningKey).where(SigningKey.round_id == round_id, SigningKey.user_id == user_id)
    )


@transactional
def register_key(session: Session, rnd: Round, user: User, data: bytes | str) -> SigningKey:
    """Check a public key file's proof of possession and register it; commit."""
    role = signer_role(user, rnd)
    if role is None:
        raise NotAllowed("Only the round's panel members and officials register signing keys.")
    if session.get(RoundManifest, rnd.id) is not None:
        raise KeyRefused(
            "The manifest has been written with the keys registered before it; "
            "keys can no longer be added to this round."
        )
    parsed = _json(data, "public key")
    if isinstance(parsed, dict) and parsed.get("type") == PRIVATE_KEY_TYPE:
        # Nothing of it is stored or logged; but it has left the member's computer.
        raise KeyRefused(
            "This is your private key file, not the public one: it was not registered, and it "
            "is not kept. As it has now left your computer, make a new key with `decide-keys "
            "new` and register its .pub.json file; never upload the other file."
        )
    try:
        record = PublicKeyRecord.from_dict(parsed)
    except ValueError as exc:
        raise KeyRefused(f"This is not a public key file made by decide-keys: {exc}.") from None
    if not record.check():
        raise KeyRefused(
            "The proof of possession does not match this public key, so the key was not "
            "registered. Register the .pub.json file that `decide-keys new` wrote, unchanged."
        )
    if key_of(session, rnd.id, user.id) is not None:
        raise KeyRefused("You have already registered a key for this round.")
    key = SigningKey(
        round_id=rnd.id,
        user_id=user.id,
        role=role,
        name=record.name,
        public_key=record.public_key.hex(),
        proof_of_possession=record.proof_of_possession.hex(),
    )
    session.add(key)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise KeyRefused(
            "This public key, or another key under the same name, is already registered for "
            "this round. Each member needs their own key and name."
        ) from None
    return key


def signatures_on(
    session: Session, round_id: int, document_type: str, digest: str
) -> list[CosignSignature]:
    """Return the stored signatures over one document, oldest first."""
    return list(
        session.scalars(
            select(CosignSignature)
            .where(
                CosignSignature.round_id == round_id,
                CosignSignature.document_type == document_type,
                CosignSignature.digest == digest,
            )
            .order_by(CosignSignature.id)
        )
    )


def signature_record(sig: CosignSignature) -> SignatureRecord:
    """Return a stored signature as the audits record."""
    return SignatureRecord(
        sig.key.name,
        bytes.fromhex(sig.key.public_key),
        sig.document_type,
        bytes.fromhex(sig.digest),
        bytes.fromhex(sig.signature),
    )


@transactional
def upload_signature(
    session: Session,
    rnd: Round,
    user: User,
    data: bytes | str,
    *,
    document_type: str,
    digest: str,
) -> CosignSignature:
    """Verify an uploaded signature over the given document and store it; commit."""
    key = key_of(session, rnd.id, user.id)
    if key is None:
        raise NotAllowed("Register your public key for this round before signing.")
    try:
        record = SignatureRecord.from_dict(_json(data, "signature"))
    except ValueError as exc:
        raise SignatureRefused(
            f"This is not a signature file made by decide-keys: {exc}."
        ) from None
    what = "manifest" if document_type == MANIFEST_TYPE else "ledger checkpoint"
    if record.document_type != document_type or record.digest.hex() != digest:
        raise SignatureRefused(
            f"This signature is over another document (digest {record.digest.hex()[:16]}…), "
            f"not this {what} (digest {digest[:16]}…). Download the {what} again and sign it."
        )
    if record.public_key.hex() != key.public_key:
        raise SignatureRefused(
            "This signature was made with another key than the one you registered for this round."
        )
    if not record.check(bytes.fromhex(digest)):
        raise SignatureRefused(
            f"The signature does not verify against your registered key and this {what}; "
            "it was not stored. Sign the file again with `decide-keys sign`."
        )
    sig = CosignSignature(
        round_id=rnd.id,
        key_id=key.id,
        document_type=document_type,
        digest=digest,
        signature=record.signature.hex(),
    )
    session.add(sig)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SignatureRefused(f"You have already signed this {what}.") from None
    return sig


@dataclass(frozen=True)
class SignatureSet:
    """Signatures over one document with their aggregate, as published."""

    records: tuple[SignatureRecord, ...]
    threshold: int
    key_count: int

    @property
    def complete(self) -> bool:
        """Return True when at least k distinct registered keys have signed."""
        return len(self.records) >= self.threshold

    @property
    def aggregate_hex(self) -> str:
        """Return the aggregate signature in hex ('' when there is none)."""
        return aggregate([r.signature for r in self.records]).hex() if self.records else ""


def signature_set(
    session: Session, rnd: Round, document_type: str, digest: str, keys: Sequence[SigningKey]
) -> SignatureSet:
    """Return the valid stored signatures by the given keys over one document."""
    allowed = {k.id for k in keys}
    sigs = [s for s in signatures_on(session, rnd.id, document_type, digest) if s.key_id in allowed]
    return SignatureSet(
        tuple(signature_record(s) for s in sigs), rnd.signature_threshold, len(keys)
    )


def frozen_keys(session: Session, rnd: Round) -> list[SigningKey]:
    """Return the keys named in the round's keys.json (all keys before the manifest)."""
    manifest = session.get(RoundManifest, rnd.id)
    keys = round_keys(session, rnd.id)
    if manifest is None:
        return keys
    listed = {k["public_key"] for k in json.loads(manifest.keys_json)["keys"]}
    return [k for k in keys if k.public_key in listed]

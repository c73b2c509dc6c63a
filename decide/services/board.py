"""The public side of the board: the server's published key and round summaries for pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits.receipts import ServerKey
from decide.models import Project, Round
from decide.services.ballot_values import choices_from_json


@dataclass(frozen=True)
class PublishedKey:
    """The receipt-signing public key as the key page shows it."""

    hex: str
    pem: str


def published_key(key: ServerKey) -> PublishedKey:
    """Return the public half of the server key, as hex and as PEM."""
    from cryptography.hazmat.primitives import serialization

    pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return PublishedKey(key.public_key_hex, pem)


def choice_labels(session: Session, rnd: Round, choices_json: str) -> str:
    """Return a ballot's choices in words for the board after close, e.g. 'P3 (5), P1 (2)'."""
    core = choices_from_json(choices_json)
    if core.points is not None and rnd.ballot_kind == "cumulative":
        return ", ".join(f"{p} ({n})" for p, n in zip(core.projects, core.points)) or "(empty)"
    sep = " > " if rnd.ballot_kind == "ranked" else ", "
    return sep.join(core.projects) or "(empty)"


def project_titles(session: Session, round_id: int) -> dict[str, str]:
    """Return project code -> title for a round."""
    rows = session.execute(
        select(Project.code, Project.title).where(Project.round_id == round_id)
    ).all()
    return dict(rows)

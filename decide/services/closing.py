"""Closing a round's board: opening the sealed box, checking the chain, counting.

Closing opens the sealed box (`open_box`): in one transaction, with the round row locked, it
decrypts every envelope, writes the commitment board (tracker, commitment, route; sorted by
tracker) and the plaintext ballot list (sorted by canonical bytes; no tracker, no route, no
time), chains the list, deletes the envelopes (and with them the salts), and records the
Merkle root and the tally. For 100k ballots this takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any, NamedTuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audits import chain, recompute
from audits.board import BoardLine, OpenedBoard, commitment, list_id, open_board
from audits.merkle import MerkleTree
from audits.receipts import ServerKey
from ballots.canonical import canonical_ballot_bytes
from ballots.model import Profile
from decide.models import (
    Ballot,
    BoardEntry,
    ChainState,
    Round,
    RoundClosing,
    SealedBallot,
    User,
)
from decide.services.ballot_values import ballot_rules, choices_from_json, round_instance
from decide.services.errors import DomainError
from decide.services.jobs import no_progress, progress_chunk, schedule_job
from decide.services.jobs import server_key as jobs_server_key
from decide.services.sealing import BoxKeys
from decide.services.voting import ballot_projects, chain_round_id, lock_box


class ClosingError(DomainError):
    """The board cannot be closed as it stands (a broken chain, say)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BoardRow(NamedTuple):
    """One ballot as read in bulk for closing and the manifest (a plain tuple: fast to build)."""

    sequence: int
    tracker: bytes
    ballot_bytes: bytes
    choices_json: str
    channel: str
    leaf: bytes
    head: bytes


def read_board(session: Session, round_id: int, progress: Any = no_progress) -> list[BoardRow]:
    """Return the round's ballots in sequence order, read with one query in chunks."""
    total = session.scalar(select(ChainState.sequence).where(ChainState.round_id == round_id))
    chunk_size = progress_chunk()
    # A Core execution on the session's connection: no ORM row processing for 100k rows.
    result = session.connection().execute(
        select(
            Ballot.sequence, Ballot.tracker, Ballot.ballot_bytes, Ballot.choices_json,
            Ballot.channel, Ballot.leaf, Ballot.head,
        )
        .where(Ballot.round_id == round_id)
        .order_by(Ballot.sequence)
        .execution_options(yield_per=chunk_size)
    )  # fmt: skip
    rows: list[BoardRow] = []
    for chunk in result.partitions():
        # Both drivers return bytes for binary columns, so rows are taken as they come.
        rows.extend(map(BoardRow._make, chunk))
        progress("Reading the ballots", len(rows), total or 0)
    return rows


def parse_choices(rows: list[BoardRow]) -> list[Any]:
    """Return each row's core ballot, parsing each distinct choice text once."""
    parsed: dict[str, Any] = {}
    out = []
    for r in rows:
        ballot = parsed.get(r.choices_json)
        if ballot is None:
            ballot = parsed[r.choices_json] = choices_from_json(r.choices_json)
        out.append(ballot)
    return out


def check_board(round_id: int, rows: list[BoardRow], progress: Any = no_progress) -> list[bytes]:
    """Recompute every leaf and head from the stored ballots; return the leaves."""
    key = chain_round_id(round_id)
    head = chain.genesis(key)
    leaves = []
    chunk_size = progress_chunk()
    for expected, r in enumerate(rows, start=1):
        if r.sequence != expected:
            raise ClosingError(f"The board skips from ballot {expected - 1} to {r.sequence}.")
        leaf = chain.leaf_hash(key, r.sequence, r.tracker, r.ballot_bytes)
        head = chain.next_head(head, leaf)
        if leaf != r.leaf or head != r.head:
            raise ClosingError(f"Ballot {r.sequence} on the board does not match its chain hash.")
        leaves.append(leaf)
        if expected % chunk_size == 0:
            progress("Checking the hash chain", expected, len(rows))
    return leaves


def open_box(
    session: Session, rnd: Round, server_key: ServerKey, today: dt.date, progress: Any = no_progress
) -> tuple[OpenedBoard, list[BoardRow]]:
    """Open the round's sealed box in memory: the board and the chained plaintext list.

    Nothing is written here (so progress reports are not blocked by a write lock on SQLite);
    `write_box` stores the result. Ballots already in the list with a tracker (imported rounds,
    or rounds cast before the sealed box) join the board under their tracker with a fresh salt.
    """
    lock_box(session, rnd.id, exclusive=True)
    key = chain_round_id(rnd.id)
    keys = BoxKeys(server_key, rnd.id)
    chunk = progress_chunk()
    lines: list[BoardLine] = []
    texts: dict[bytes, str] = {}
    envelopes = session.execute(
        select(SealedBallot.id, SealedBallot.box).where(SealedBallot.round_id == rnd.id)
    ).all()
    legacy = session.execute(
        select(Ballot.tracker, Ballot.ballot_bytes, Ballot.choices_json, Ballot.channel).where(
            Ballot.round_id == rnd.id, Ballot.channel != "sealed"
        )
    ).all()
    total = len(envelopes) + len(legacy)
    for done, (envelope_id, box) in enumerate(envelopes, 1):
        opened = keys.open(bytes(envelope_id), bytes(box))
        data = canonical_ballot_bytes(rnd.ballot_kind, choices_from_json(opened.choices_json))
        lines.append(BoardLine(opened.tracker, commitment(opened.salt, data), opened.route, data))
        texts.setdefault(data, opened.choices_json)
        if done % chunk == 0 or done == total:
            progress("Reading the ballots", done, total)
    for done, (tracker, data, text, channel) in enumerate(legacy, len(envelopes) + 1):
        salt = secrets.token_bytes(32)
        lines.append(BoardLine(bytes(tracker), commitment(salt, bytes(data)), channel, bytes(data)))
        texts.setdefault(bytes(data), text)
        if done % chunk == 0 or done == total:
            progress("Reading the ballots", done, total)
    opened_board = open_board(key, lines)
    imported = {line.ballot for line in opened_board.lines if line.route == "imported"}
    head = chain.genesis(key)
    rows: list[BoardRow] = []
    for i, data in enumerate(opened_board.ballots, 1):
        list_key = list_id(i)
        leaf, head = chain.append(head, key, i, list_key, data)
        channel = "imported" if data in imported else "sealed"
        rows.append(BoardRow(i, list_key, data, texts[data], channel, leaf, head))
        if i % chunk == 0:
            progress("Checking the hash chain", i, total)
    return opened_board, rows


def write_box(
    session: Session, rnd: Round, opened: OpenedBoard, rows: list[BoardRow], today: dt.date
) -> None:
    """Store the opened box: delete the envelopes, write the board and the list; no commit."""
    session.execute(delete(SealedBallot).where(SealedBallot.round_id == rnd.id))
    session.execute(delete(Ballot).where(Ballot.round_id == rnd.id))
    session.execute(delete(BoardEntry).where(BoardEntry.round_id == rnd.id))
    entries = [
        {
            "round_id": rnd.id,
            "position": i,
            "tracker": line.tracker,
            "commitment": line.commitment,
            "route": line.route,
            "leaf": leaf,
        }
        for i, (line, leaf) in enumerate(zip(opened.lines, opened.leaves, strict=True), 1)
    ]
    listed = [
        {
            "round_id": rnd.id,
            "sequence": r.sequence,
            "tracker": r.tracker,
            "ballot_bytes": r.ballot_bytes,
            "choices_json": r.choices_json,
            "channel": r.channel,
            "cast_on": today,
            "leaf": r.leaf,
            "head": r.head,
        }
        for r in rows
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(BoardEntry), entries[start : start + 5000])
        session.execute(insert(Ballot), listed[start : start + 5000])
    head = rows[-1].head if rows else chain.genesis(chain_round_id(rnd.id))
    state = session.get(ChainState, rnd.id)
    if state is None:
        session.add(ChainState(round_id=rnd.id, sequence=len(rows), head=head))
    else:
        state.sequence, state.head = len(rows), head
    session.flush()


def _opened_before(session: Session, round_id: int) -> bool:
    return (
        session.scalar(select(BoardEntry.round_id).where(BoardEntry.round_id == round_id).limit(1))
        is not None
    )


def _routes(session: Session, round_id: int) -> dict[str, int]:
    rows = session.execute(
        select(BoardEntry.route, func.count())
        .where(BoardEntry.round_id == round_id)
        .group_by(BoardEntry.route)
    ).all()
    return dict(sorted((r, int(n)) for r, n in rows))


def close_board(
    session: Session,
    rnd: Round,
    progress: Any = no_progress,
    *,
    server_key: ServerKey | None = None,
) -> RoundClosing:
    """Open the box (once), verify the list's chain, compute the Merkle root and the tally."""
    if not rnd.phase.counted:
        raise ClosingError("The board can be closed only once voting has closed.")
    # Two runs at once: the second waits here, then finds the first one's result.
    lock_box(session, rnd.id, exclusive=True)
    existing = session.get(RoundClosing, rnd.id)
    if existing is not None:
        return existing
    today = _now().date()
    if _opened_before(session, rnd.id):
        # A closing that failed after the box was opened: check the stored list again.
        opened = None
        rows = read_board(session, rnd.id, progress)
        leaves = check_board(rnd.id, rows, progress)
        routes = _routes(session, rnd.id)
    else:
        opened, rows = open_box(session, rnd, server_key or jobs_server_key(), today, progress)
        leaves = [r.leaf for r in rows]
        routes = opened.routes()
    progress("Building the Merkle tree", len(rows), len(rows), force=True)
    root = MerkleTree(leaves).root
    head = rows[-1].head if rows else chain.genesis(chain_round_id(rnd.id))
    progress("Counting the votes", len(rows), len(rows), force=True)
    instance = round_instance(rnd, ballot_projects(session, rnd.id))
    rules = ballot_rules(rnd)
    profile = Profile(rules.vote_type, tuple(parse_choices(rows)))
    tally = recompute.tally_json(instance, profile, rules)
    if opened is not None:
        write_box(session, rnd, opened, rows, today)
    closing = RoundClosing(
        round_id=rnd.id,
        ballot_count=len(rows),
        channels_json=json.dumps(routes),
        merkle_root=root.hex(),
        chain_head=head.hex(),
        tally_json=json.dumps(tally, sort_keys=True),
        closed_at=_now(),
    )
    session.add(closing)
    try:
        session.commit()
    except IntegrityError:  # another run finished first; its result is the same
        session.rollback()
        return session.get(RoundClosing, rnd.id)  # type: ignore[return-value]
    return closing


def on_close(session: Session, rnd: Round, actor: User) -> None:
    """Phase effect for voting -> closed: wait for casts in flight, then schedule the job.

    The box lock, taken exclusively here, is held until the phase change commits: a cast
    that started before waits no longer than its own short transaction, and one that starts
    after sees the round closed.
    """
    lock_box(session, rnd.id, exclusive=True)
    schedule_job(session, rnd, "close")


def closing_of(session: Session, round_id: int) -> RoundClosing | None:
    """Return what closing found, or None before it finished."""
    return session.get(RoundClosing, round_id)

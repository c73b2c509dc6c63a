"""The postcode -> area table that places an account's postcode in one of a round's areas.

A facilitator uploads it as CSV with the header `postcode,area` (the area by name or slug),
either for one round or globally; a round with a table of its own uses only that one. A
postcode is found only when the table lists it in full: no part of it is guessed from.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from decide.models import Area, PostcodeArea, Round
from decide.services.accounts import normalise_postcode
from decide.services.errors import DomainError

MAX_ROWS = 500_000
MAX_PROBLEMS_SHOWN = 50


class PostcodeTableError(DomainError):
    """An upload was refused; `problems` lists each bad line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems), field="file")
        self.problems = list(problems)


@dataclass(frozen=True)
class TableSummary:
    """How many postcodes a table holds, per area name."""

    total: int
    per_area: tuple[tuple[str, int], ...]


def _header_columns(header: list[str] | None) -> tuple[int, int, int]:
    """Return (postcode column, area column, number of columns), or raise for a bad header."""
    if header is None:
        raise PostcodeTableError(["line 1: the file is empty"])
    names = [h.strip().lower() for h in header]
    if "postcode" not in names or "area" not in names:
        raise PostcodeTableError(["line 1: the header must name the columns postcode and area"])
    return names.index("postcode"), names.index("area"), len(names)


def _read_row(
    row: list[str], line: int, columns: tuple[int, int, int], by_name: dict[str, int]
) -> tuple[str, int] | str:
    """Return one line's (postcode, area id), or the problem with it in words."""
    pc_col, area_col, width = columns
    if len(row) <= max(pc_col, area_col):
        return f"line {line}: expected {width} columns, found {len(row)}"
    try:
        postcode = normalise_postcode(row[pc_col])
    except ValueError:
        postcode = None
    if postcode is None:
        return f"line {line}: {row[pc_col].strip()!r} is not a UK postcode"
    area_id = by_name.get(row[area_col].strip().lower())
    if area_id is None:
        return f"line {line}: there is no area called {row[area_col].strip()!r}"
    return postcode, area_id


def parse_table(text: str, areas: Sequence[Area]) -> list[tuple[str, int]]:
    """Return (postcode, area id) rows read from CSV text, or raise with every bad line."""
    by_name: dict[str, int] = {}
    for area in areas:
        by_name[area.name.strip().lower()] = area.id
        by_name[area.slug.lower()] = area.id
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    problems: list[str] = []
    rows: dict[str, tuple[int, int]] = {}
    try:
        columns = _header_columns(next(reader, None))
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            read = _read_row(row, line, columns, by_name)
            if isinstance(read, str):
                problems.append(read)
                continue
            postcode, area_id = read
            if postcode in rows and rows[postcode][0] != area_id:
                problems.append(
                    f"line {line}: {postcode} is already in another area on line "
                    f"{rows[postcode][1]}"
                )
                continue
            rows.setdefault(postcode, (area_id, line))
            if len(rows) > MAX_ROWS:
                problems.append(f"line {line}: a table holds at most {MAX_ROWS} postcodes")
                break
    except csv.Error as exc:
        problems.append(f"line {reader.line_num + 1}: cannot be read as CSV ({exc})")
    if not rows and not problems:
        problems.append("the file has a header but no postcodes")
    if problems:
        extra = len(problems) - MAX_PROBLEMS_SHOWN
        raise PostcodeTableError(
            problems[:MAX_PROBLEMS_SHOWN] + ([f"and {extra} more"] if extra > 0 else [])
        )
    return [(postcode, area_id) for postcode, (area_id, _) in rows.items()]


def rounds_voting_on_the_global_table(session: Session) -> list[Round]:
    """Return the rounds open for voting that have no table of their own."""
    voting = session.scalars(select(Round).where(Round.phase == "voting").order_by(Round.id))
    return [rnd for rnd in voting if not has_own_table(session, rnd.id)]


def lock_reason(session: Session, round_id: int | None) -> str | None:
    """Return why this table cannot change now, or None when it can."""
    if round_id is not None:
        rnd = session.get(Round, round_id)
        if rnd is None or rnd.ballot_locked:
            return "Voting has opened in this round, so its postcode table can no longer change."
        return None
    using = rounds_voting_on_the_global_table(session)
    if using:
        names = ", ".join(f"“{r.title}”" for r in using)
        return f"The global table cannot change while these rounds use it for voting: {names}."
    return None


def upload_table(session: Session, round_id: int | None, text: str) -> int:
    """Replace the round's table (or the global one, for None) with the CSV's; commit.

    Like the ballot, the table that places voters locks when voting opens: a round's own
    table once its voting has opened, the global one while a round that uses it is voting.
    """
    reason = lock_reason(session, round_id)
    if reason:
        raise DomainError(reason, field="file")
    rows = parse_table(text, session.scalars(select(Area)).all())
    session.execute(delete(PostcodeArea).where(_scope(round_id)))
    session.add_all(PostcodeArea(round_id=round_id, postcode=p, area_id=a) for p, a in rows)
    session.commit()
    return len(rows)


def _scope(round_id: int | None) -> object:
    if round_id is None:
        return PostcodeArea.round_id.is_(None)
    return PostcodeArea.round_id == round_id


def has_own_table(session: Session, round_id: int) -> bool:
    """Return True when the round has a table of its own (else the global one applies)."""
    return session.scalar(select(PostcodeArea.id).where(_scope(round_id)).limit(1)) is not None


def summary(session: Session, round_id: int | None) -> TableSummary:
    """Return how many postcodes the round's own (or the global) table holds, per area."""
    counts = session.execute(
        select(Area.name, func.count(PostcodeArea.id))
        .join(PostcodeArea, PostcodeArea.area_id == Area.id)
        .where(_scope(round_id))
        .group_by(Area.name)
        .order_by(Area.name)
    ).all()
    per_area = tuple((name, int(n)) for name, n in counts)
    return TableSummary(total=sum(n for _, n in per_area), per_area=per_area)


def area_of_postcode(session: Session, round_id: int | None, postcode: str | None) -> int | None:
    """Return the area id the table lists for this postcode, or None when it is not listed."""
    try:
        normalised = normalise_postcode(postcode)
    except ValueError:
        return None
    if normalised is None:
        return None
    scope = None
    if round_id is not None and has_own_table(session, round_id):
        scope = round_id
    return session.scalar(
        select(PostcodeArea.area_id).where(_scope(scope), PostcodeArea.postcode == normalised)
    )

"""Read and write pabulib ``.pb`` files.

A pabulib file (https://pabulib.org/format, and Faliszewski et al., "Participatory Budgeting:
Data, Tools and Analysis", arXiv:2305.11035) is a ``;``-separated CSV file with three sections,
each a title row followed by a header row:

* ``META`` (``key;value``): ``budget`` and ``vote_type`` are required; every other key is kept.
* ``PROJECTS``: columns ``project_id`` and ``cost`` are required, ``name`` is optional, every
  further column is kept verbatim in `Project.fields`.
* ``VOTES``: columns ``voter_id`` and ``vote`` (comma-separated project ids) are required;
  ``points`` (comma-separated integers aligned with ``vote``) is required for cumulative and
  scoring files; every further column is kept verbatim in `Ballot.fields`.

Cells follow CSV quoting as Python's `csv` module reads it, which is what pabutools 1.2.3 does
(``pabutools/election/pabulib.py``), so quoted names (Łódź 2022 quotes its
``""`` inside names) read the same here and there. Differences from pabutools, on purpose:

* values are kept verbatim (pabutools strips them); ids and META keys are stripped;
* `Instance.meta` holds every META entry in file order as the file spelled it, including
  ``budget`` and ``vote_type``. `Instance.budget` and `Profile.vote_type` are the values to
  compute with; ``meta["vote_type"]`` keeps variants such as ``choose-1`` (read as approval);
* points are integers; every malformed line is a `PbError` naming its 1-based line number;
* a NUL character anywhere, and a number longer than `MAX_NUMBER_LENGTH` characters, are
  refused (a pabulib file is plain text, and no real amount needs more digits).

Ballots keep the projects as cast, repeats included (Amsterdam 604 has one ballot that lists a
project twice), so that a file round-trips exactly. Allocation rules should read
`Ballot.approved` (a set), `Ballot.ranking` or `Ballot.points_by_project`, which follow
pabutools' reading of such ballots.

`write` produces a file that `parse` reads back to an equal `PbFile`; numbers are written as
the shortest exact decimal (a cost of ``60000.0`` is written ``60000``).

This module reads; ballots/pabulib_values.py holds the file's values and number formats,
ballots/pabulib_write.py writes, and ballots/pabulib_limits.py checks the ballots against
the limits META states. Everything is importable from here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from fractions import Fraction

from ballots.model import Ballot, Instance, Profile, Project, VoteType
from ballots.pabulib_limits import COST_KEYS, LENGTH_KEYS, POINTS_KEYS, check_limits, meta_value
from ballots.pabulib_values import (
    MAX_NUMBER_LENGTH,
    SECTIONS,
    VOTE_TYPES,
    PbError,
    PbFile,
    default_project_columns,
    default_vote_columns,
    format_decimal,
    normalise_vote_type,
    number_problem,
    parse_decimal,
    parse_int,
    shown,
)
from ballots.pabulib_write import write, write_election

__all__ = [
    "COST_KEYS",
    "LENGTH_KEYS",
    "MAX_NUMBER_LENGTH",
    "POINTS_KEYS",
    "SECTIONS",
    "VOTE_TYPES",
    "PbError",
    "PbFile",
    "check_limits",
    "default_project_columns",
    "default_vote_columns",
    "format_decimal",
    "meta_value",
    "normalise_vote_type",
    "number_problem",
    "parse",
    "parse_decimal",
    "parse_int",
    "shown",
    "write",
    "write_election",
]


class _Rows:
    """Iterate the non-blank CSV rows of a text, with the line on which each row starts."""

    def __init__(self, text: str) -> None:
        if text.startswith("\ufeff"):
            text = text[1:]
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=False)
        self.last_line = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise PbError(start, f"cannot read this line as CSV ({exc})") from None
            self.last_line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            yield start, row


def _section_of(row: list[str]) -> str | None:
    if len(row) == 1:
        name = row[0].strip().lower()
        if name in SECTIONS:
            return name
    return None


def _check_header(line: int, section: str, header: list[str], required: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for col in header:
        if col in seen:
            raise PbError(line, f"{section} header names the column '{col}' twice")
        seen.add(col)
    for col in required:
        if col not in seen:
            raise PbError(line, f"{section} header has no '{col}' column")


def parse(text: str) -> PbFile:
    """Parse the text of a pabulib file; raise PbError naming the line of the first fault."""
    nul = text.find("\x00")
    if nul >= 0:
        raise PbError(
            text.count("\n", 0, nul) + 1,
            "contains a NUL character; a pabulib file is plain text (was a binary file chosen?)",
        )
    source = _Rows(text)
    found = _Sections()
    rows = iter(source)
    for line, row in rows:
        name = _section_of(row)
        if name is None:
            found.data(line, row)
            continue
        found.open(line, name)
        try:
            header_line, header = next(rows)
        except StopIteration:
            raise PbError(line, f"section {name.upper()} has no header row") from None
        found.header(line, name, header_line, header)
    found.check_present(max(1, source.last_line))
    budget, vote_type = found.budget_and_vote_type()
    projects = _parse_projects(found.project_header, found.project_rows)
    instance = Instance(budget=budget, projects=projects, meta=found.meta)
    ballots = _parse_votes(
        found.votes_header_line,
        found.vote_header,
        found.vote_rows,
        vote_type,
        {p.id for p in projects},
    )
    return PbFile(
        instance=instance,
        profile=Profile(vote_type=vote_type, ballots=ballots),
        project_columns=tuple(found.project_header),
        vote_columns=tuple(found.vote_header),
        meta_lines=found.meta_lines,
        vote_lines=tuple(line for line, _ in found.vote_rows),
    )


class _Sections:
    """What `parse` has read so far, section by section, in the order the format requires."""

    def __init__(self) -> None:
        self.section = ""
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.meta_line = self.projects_line = self.votes_line = self.votes_header_line = 0
        self.project_rows: list[tuple[int, list[str]]] = []
        self.project_header: list[str] = []
        self.vote_rows: list[tuple[int, list[str]]] = []
        self.vote_header: list[str] = []

    def open(self, line: int, name: str) -> None:
        """A section title on `line`: refuse it out of order."""
        expected = {"": "meta", "meta": "projects", "projects": "votes"}.get(self.section)
        if name != expected:
            if expected is None:
                raise PbError(line, f"section {name.upper()} after VOTES, the last section")
            raise PbError(line, f"section {name.upper()} where {expected.upper()} was expected")
        self.section = name

    def header(self, line: int, name: str, header_line: int, header: list[str]) -> None:
        """The header row of the section titled on `line`."""
        if _section_of(header) is not None:
            raise PbError(header_line, f"section {name.upper()} has no header row")
        if name == "meta":
            self.meta_line = line
            if len(header) != 2:
                raise PbError(
                    header_line,
                    f"META header has {len(header)} columns; expected 2 (key;value)",
                )
        elif name == "projects":
            self.projects_line = line
            _check_header(header_line, "PROJECTS", header, ("project_id", "cost"))
            self.project_header = header
        else:
            self.votes_line = line
            self.votes_header_line = header_line
            _check_header(header_line, "VOTES", header, ("voter_id", "vote"))
            self.vote_header = header

    def data(self, line: int, row: list[str]) -> None:
        """A data row of the current section."""
        if self.section == "":
            raise PbError(line, "expected the section title META before any data")
        if self.section == "projects":
            self.project_rows.append((line, row))
        elif self.section == "votes":
            self.vote_rows.append((line, row))
        else:
            self._meta_row(line, row)

    def _meta_row(self, line: int, row: list[str]) -> None:
        if len(row) != 2:
            raise PbError(line, f"META row has {len(row)} columns; expected 2 (key;value)")
        key = row[0].strip()
        if not key:
            raise PbError(line, "META row has an empty key")
        _first_use(line, key, self.meta_lines, "META key")
        self.meta[key] = row[1]

    def check_present(self, end_line: int) -> None:
        """Refuse a file without all three sections."""
        if not self.meta_line:
            raise PbError(1, "no META section")
        if not self.projects_line:
            raise PbError(end_line, "no PROJECTS section")
        if not self.votes_line:
            raise PbError(end_line, "no VOTES section")

    def budget_and_vote_type(self) -> tuple[Fraction, VoteType]:
        """Read META's budget and vote type, which every file must give."""
        budget_text = self._required_meta("budget")
        budget = parse_decimal(budget_text)
        if budget is None:
            raise PbError(
                self.meta_lines["budget"],
                f"budget '{shown(budget_text)}' {number_problem(budget_text)}",
            )
        if budget < 0:
            raise PbError(self.meta_lines["budget"], f"budget {shown(budget_text)} is negative")
        vote_type_text = self._required_meta("vote_type")
        vote_type = normalise_vote_type(vote_type_text)
        if vote_type is None:
            raise PbError(
                self.meta_lines["vote_type"],
                f"vote_type '{vote_type_text.strip()}' is not one of " + ", ".join(VOTE_TYPES),
            )
        return budget, vote_type

    def _required_meta(self, key: str) -> str:
        """Return META's value for `key`; refuse a file whose META lacks it."""
        if key not in self.meta:
            raise PbError(self.meta_line, f"META has no '{key}'")
        return self.meta[key]


def _first_use(line: int, key: str, first_line: dict[str, int], name: str) -> None:
    """Record that `key` is given on `line`; refuse it if an earlier line gave it already."""
    if key in first_line:
        raise PbError(line, f"{name} '{key}' appears twice (first on line {first_line[key]})")
    first_line[key] = line


def _parse_projects(header: list[str], rows: list[tuple[int, list[str]]]) -> tuple[Project, ...]:
    i_id = header.index("project_id")
    i_cost = header.index("cost")
    i_name = header.index("name") if "name" in header else -1
    extra = [(i, col) for i, col in enumerate(header) if i not in (i_id, i_cost, i_name)]
    width = len(header)
    first_line: dict[str, int] = {}
    projects: list[Project] = []
    for line, row in rows:
        if len(row) != width:
            raise PbError(line, f"PROJECTS row has {len(row)} columns; the header has {width}")
        pid = row[i_id].strip()
        if not pid:
            raise PbError(line, "project has an empty project_id")
        _first_use(line, pid, first_line, "project id")
        cost = parse_decimal(row[i_cost])
        if cost is None:
            raise PbError(
                line,
                f"project {pid} has cost '{shown(row[i_cost])}', which "
                + number_problem(row[i_cost]),
            )
        if cost < 0:
            raise PbError(line, f"project {pid} has a negative cost ({shown(row[i_cost])})")
        projects.append(
            Project(
                id=pid,
                cost=cost,
                name=row[i_name] if i_name >= 0 else "",
                fields={col: row[i] for i, col in extra},
            )
        )
    return tuple(projects)


def _parse_votes(
    header_line: int,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    vote_type: VoteType,
    project_ids: set[str],
) -> tuple[Ballot, ...]:
    with_points = vote_type in ("cumulative", "scoring")
    i_voter = header.index("voter_id")
    i_vote = header.index("vote")
    i_points = -1
    if with_points:
        if "points" not in header:
            raise PbError(
                header_line,
                f"VOTES header has no 'points' column, which a {vote_type} file needs",
            )
        i_points = header.index("points")
    extra = [(i, col) for i, col in enumerate(header) if i not in (i_voter, i_vote, i_points)]
    width = len(header)
    first_line: dict[str, int] = {}
    ballots: list[Ballot] = []
    # Most ballots repeat a few hundred ids: intern them so that a profile shares the strings.
    known: dict[str, str] = {pid: pid for pid in project_ids}
    for line, row in rows:
        if len(row) != width:
            raise PbError(line, f"VOTES row has {len(row)} columns; the header has {width}")
        voter = row[i_voter].strip()
        if not voter:
            raise PbError(line, "vote has an empty voter_id")
        _first_use(line, voter, first_line, "voter id")
        cell = row[i_vote].strip()
        chosen: list[str] = []
        if cell:
            for raw in cell.split(","):
                pid = known.get(raw)
                if pid is None:
                    pid = known.get(raw.strip())
                    if pid is None:
                        if not raw.strip():
                            raise PbError(
                                line, f"voter {voter}'s vote '{cell}' has an empty project id"
                            )
                        raise PbError(
                            line, f"voter {voter} votes for unknown project '{raw.strip()}'"
                        )
                chosen.append(pid)
        points: tuple[int, ...] | None = None
        if with_points:
            points = _parse_points(line, voter, row[i_points], len(chosen))
        ballots.append(
            Ballot(
                voter_id=voter,
                projects=tuple(chosen),
                points=points,
                fields={col: row[i] for i, col in extra} if extra else {},
            )
        )
    return tuple(ballots)


def _parse_points(line: int, voter: str, cell: str, n: int) -> tuple[int, ...]:
    text = cell.strip()
    parts = text.split(",") if text else []
    if len(parts) != n:
        raise PbError(
            line,
            f"voter {voter} lists {n} project(s) but {len(parts)} points value(s) ('{text}')",
        )
    points: list[int] = []
    for part in parts:
        value = parse_int(part)
        if value is None:
            raise PbError(
                line,
                f"voter {voter} has points '{shown(part)}', which "
                + number_problem(part, whole=True),
            )
        points.append(value)
    return tuple(points)

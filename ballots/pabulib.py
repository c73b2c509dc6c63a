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
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ballots.model import Ballot, Instance, Profile, Project, VoteType
from ballots.wording import plural

SECTIONS = ("meta", "projects", "votes")
VOTE_TYPES: tuple[VoteType, ...] = ("approval", "cumulative", "ordinal", "scoring")

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
MAX_NUMBER_LENGTH = 100  # characters of one number; far above any amount, far below int's limit
_CHOOSE_K = re.compile(r"choose-\d+")


class PbError(ValueError):
    """A pabulib file that cannot be read; `line` is the 1-based line number at fault."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


@dataclass(frozen=True)
class PbFile:
    """The content of a pabulib file: instance, profile, and the column order of its sections.

    `project_columns` and `vote_columns` are the header rows of PROJECTS and VOTES. Left empty,
    they are derived from the instance and profile (see `default_project_columns` and
    `default_vote_columns`). `meta_lines` (META key to line) and `vote_lines` (one line per
    ballot) say where `parse` read them, so that later checks can name the line; they are
    empty for a file built in code, and take no part in equality.
    """

    instance: Instance
    profile: Profile
    project_columns: tuple[str, ...] = ()
    vote_columns: tuple[str, ...] = field(default=())
    meta_lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    vote_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.project_columns:
            object.__setattr__(
                self, "project_columns", default_project_columns(self.instance.projects)
            )
        if not self.vote_columns:
            object.__setattr__(self, "vote_columns", default_vote_columns(self.profile))


def default_project_columns(projects: tuple[Project, ...]) -> tuple[str, ...]:
    """Return project_id, cost, name (if any project has one), then every field key seen."""
    columns: dict[str, None] = {"project_id": None, "cost": None}
    if any(p.name for p in projects):
        columns["name"] = None
    for p in projects:
        columns.update(dict.fromkeys(p.fields))
    return tuple(columns)


def default_vote_columns(profile: Profile) -> tuple[str, ...]:
    """Return voter_id, vote, points (for cumulative and scoring), then every field key seen."""
    columns: dict[str, None] = {"voter_id": None, "vote": None}
    if profile.vote_type in ("cumulative", "scoring"):
        columns["points"] = None
    for b in profile.ballots:
        columns.update(dict.fromkeys(b.fields))
    return tuple(columns)


def normalise_vote_type(label: str) -> VoteType | None:
    """Return the vote type that a META ``vote_type`` value means, or None if unknown."""
    value = label.strip().lower()
    if value == "approval" or _CHOOSE_K.fullmatch(value):
        return "approval"
    if value == "cumulative":
        return "cumulative"
    if value == "ordinal":
        return "ordinal"
    if value == "scoring":
        return "scoring"
    return None


def parse_decimal(text: str) -> Fraction | None:
    """Return the exact value of a decimal string such as ``102533.36`` (or ``1,5``), else None.

    A string longer than MAX_NUMBER_LENGTH is None too: reading thousands of digits is slow,
    and Python refuses to turn more than 4,300 into an int.
    """
    s = text.strip()
    if len(s) > MAX_NUMBER_LENGTH:
        return None
    if "," in s and "." not in s and s.count(",") == 1:
        s = s.replace(",", ".")
    if not _DECIMAL.fullmatch(s):
        return None
    return Fraction(s)


def shown(text: str, limit: int = 40) -> str:
    """Return `text` stripped, and cut to `limit` characters with its length when longer."""
    s = text.strip()
    return s if len(s) <= limit else f"{s[:limit]}… ({len(s):,} characters)"


def number_problem(text: str, *, whole: bool = False) -> str:
    """Return why `text` is not a number this module reads, as words after "which"."""
    kind = "a whole number" if whole else "a number"
    if len(text.strip()) > MAX_NUMBER_LENGTH:
        return f"is longer than the {MAX_NUMBER_LENGTH} characters a number may have"
    return f"is not {kind}"


def format_decimal(value: Fraction | int) -> str:
    """Return the shortest exact decimal for `value`; raise ValueError if it has none."""
    q = Fraction(value)
    den = q.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        raise ValueError(f"{q} has no finite decimal expansion")
    places = max(twos, fives)
    scaled = abs(q.numerator) * 10**places // q.denominator
    sign = "-" if q < 0 else ""
    if places == 0:
        return f"{sign}{scaled}"
    digits = str(scaled).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _parse_int(text: str) -> int | None:
    s = text.strip()
    if len(s) > MAX_NUMBER_LENGTH:
        return None
    body = s[1:] if s[:1] in ("+", "-") else s
    if not (body.isascii() and body.isdigit()):
        return None
    return int(s)


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
    rows = iter(source)
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    meta_line = projects_line = votes_line = votes_header_line = 0
    project_rows: list[tuple[int, list[str]]] = []
    project_header: list[str] = []
    vote_rows: list[tuple[int, list[str]]] = []
    vote_header: list[str] = []
    section = ""
    header_line = 0
    for line, row in rows:
        name = _section_of(row)
        if name is not None:
            expected = {"": "meta", "meta": "projects", "projects": "votes"}.get(section)
            if name != expected:
                if expected is None:
                    raise PbError(line, f"section {name.upper()} after VOTES, the last section")
                raise PbError(line, f"section {name.upper()} where {expected.upper()} was expected")
            section = name
            try:
                header_line, header = next(rows)
            except StopIteration:
                raise PbError(line, f"section {name.upper()} has no header row") from None
            if _section_of(header) is not None:
                raise PbError(header_line, f"section {name.upper()} has no header row")
            if name == "meta":
                meta_line = line
                if len(header) != 2:
                    raise PbError(
                        header_line,
                        f"META header has {len(header)} columns; expected 2 (key;value)",
                    )
            elif name == "projects":
                projects_line = line
                _check_header(header_line, "PROJECTS", header, ("project_id", "cost"))
                project_header = header
            else:
                votes_line = line
                votes_header_line = header_line
                _check_header(header_line, "VOTES", header, ("voter_id", "vote"))
                vote_header = header
            continue
        if section == "":
            raise PbError(line, "expected the section title META before any data")
        if section == "meta":
            if len(row) != 2:
                raise PbError(line, f"META row has {len(row)} columns; expected 2 (key;value)")
            key = row[0].strip()
            if not key:
                raise PbError(line, "META row has an empty key")
            if key in meta:
                raise PbError(
                    line, f"META key '{key}' appears twice (first on line {meta_lines[key]})"
                )
            meta[key] = row[1]
            meta_lines[key] = line
        elif section == "projects":
            project_rows.append((line, row))
        else:
            vote_rows.append((line, row))

    end_line = max(1, source.last_line)
    if not meta_line:
        raise PbError(1, "no META section")
    if not projects_line:
        raise PbError(end_line, "no PROJECTS section")
    if not votes_line:
        raise PbError(end_line, "no VOTES section")

    if "budget" not in meta:
        raise PbError(meta_line, "META has no 'budget'")
    budget = parse_decimal(meta["budget"])
    if budget is None:
        raise PbError(
            meta_lines["budget"],
            f"budget '{shown(meta['budget'])}' {number_problem(meta['budget'])}",
        )
    if budget < 0:
        raise PbError(meta_lines["budget"], f"budget {shown(meta['budget'])} is negative")
    if "vote_type" not in meta:
        raise PbError(meta_line, "META has no 'vote_type'")
    vote_type = normalise_vote_type(meta["vote_type"])
    if vote_type is None:
        raise PbError(
            meta_lines["vote_type"],
            f"vote_type '{meta['vote_type'].strip()}' is not one of " + ", ".join(VOTE_TYPES),
        )

    projects = _parse_projects(project_header, project_rows)
    instance = Instance(budget=budget, projects=projects, meta=meta)
    ballots = _parse_votes(
        votes_header_line, vote_header, vote_rows, vote_type, {p.id for p in projects}
    )
    return PbFile(
        instance=instance,
        profile=Profile(vote_type=vote_type, ballots=ballots),
        project_columns=tuple(project_header),
        vote_columns=tuple(vote_header),
        meta_lines=meta_lines,
        vote_lines=tuple(line for line, _ in vote_rows),
    )


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
        if pid in first_line:
            raise PbError(
                line, f"project id '{pid}' appears twice (first on line {first_line[pid]})"
            )
        first_line[pid] = line
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
        if voter in first_line:
            raise PbError(
                line, f"voter id '{voter}' appears twice (first on line {first_line[voter]})"
            )
        first_line[voter] = line
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
        value = _parse_int(part)
        if value is None:
            raise PbError(
                line,
                f"voter {voter} has points '{shown(part)}', which "
                + number_problem(part, whole=True),
            )
        points.append(value)
    return tuple(points)


def _meta_rows(pb: PbFile, *, add_counts: bool) -> list[list[str]]:
    instance, profile = pb.instance, pb.profile
    meta = dict(instance.meta)
    # Recompute what the data decides; keep the file's spelling when it means the same value.
    # The counts are added only on request so that parse -> write -> parse gives equal META.
    if add_counts:
        meta.setdefault("num_projects", str(len(instance.projects)))
        meta.setdefault("num_votes", str(len(profile.ballots)))
    budget_text = meta.get("budget")
    if budget_text is None or parse_decimal(budget_text) != instance.budget:
        meta["budget"] = format_decimal(instance.budget)
    vt = meta.get("vote_type")
    if vt is None or normalise_vote_type(vt) != profile.vote_type:
        meta["vote_type"] = profile.vote_type
    for key, count in (
        ("num_projects", len(instance.projects)),
        ("num_votes", len(profile.ballots)),
    ):
        text = meta.get(key)
        if text is not None and _parse_int(text) != count:
            meta[key] = str(count)
    return [[k, v] for k, v in meta.items()]


def _cell(text: str) -> str:
    # Quote as CSV does, but also for a lone "\r": csv.writer leaves it bare when the line
    # terminator is "\n", and a reader then ends the line there.
    if ";" in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


class _Writer:
    """Write `;`-separated rows with CSV quoting and "\n" line ends."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def writerow(self, row: Iterable[str]) -> None:
        self.parts.append(";".join(_cell(c) for c in row))

    def writerows(self, rows: Iterable[Iterable[str]]) -> None:
        for row in rows:
            self.writerow(row)

    def text(self) -> str:
        return "\n".join(self.parts) + "\n"


def write(pb: PbFile, *, add_counts: bool = False) -> str:
    """Return the pabulib text of `pb`; raise ValueError for data that the format cannot hold.

    META is written in `instance.meta` order. ``budget`` and ``vote_type`` keep the file's
    spelling when it means `instance.budget` and `profile.vote_type`, and are rewritten (or
    appended) otherwise; ``num_projects`` and ``num_votes`` are corrected when present, and
    appended when missing only if `add_counts` is true.
    """
    instance, profile = pb.instance, pb.profile
    w = _Writer()
    w.writerow(["META"])
    w.writerow(["key", "value"])
    w.writerows(_meta_rows(pb, add_counts=add_counts))

    pcols = pb.project_columns
    for required in ("project_id", "cost"):
        if required not in pcols:
            raise ValueError(f"project_columns lacks '{required}'")
    seen_ids: set[str] = set()
    w.writerow(["PROJECTS"])
    w.writerow(pcols)
    for p in instance.projects:
        if not p.id or p.id != p.id.strip() or "," in p.id:
            raise ValueError(f"project id {p.id!r} cannot be written (empty, padded or has ',')")
        if p.id in seen_ids:
            raise ValueError(f"project id {p.id!r} appears twice")
        seen_ids.add(p.id)
        missing = set(p.fields) - set(pcols)
        if missing:
            raise ValueError(f"project {p.id} has fields {sorted(missing)} not in project_columns")
        if p.name and "name" not in pcols:
            raise ValueError(f"project {p.id} has a name but project_columns has no 'name'")
        row: list[str] = []
        for col in pcols:
            if col == "project_id":
                row.append(p.id)
            elif col == "cost":
                row.append(format_decimal(p.cost))
            elif col == "name":
                row.append(p.name)
            else:
                row.append(p.fields.get(col, ""))
        w.writerow(row)

    vcols = pb.vote_columns
    with_points = profile.vote_type in ("cumulative", "scoring")
    for required in ("voter_id", "vote", *(("points",) if with_points else ())):
        if required not in vcols:
            raise ValueError(f"vote_columns lacks '{required}'")
    seen_voters: set[str] = set()
    w.writerow(["VOTES"])
    w.writerow(vcols)
    for b in profile.ballots:
        if not b.voter_id or b.voter_id != b.voter_id.strip():
            raise ValueError(f"voter id {b.voter_id!r} cannot be written (empty or padded)")
        if b.voter_id in seen_voters:
            raise ValueError(f"voter id {b.voter_id!r} appears twice")
        seen_voters.add(b.voter_id)
        unknown = [pid for pid in b.projects if pid not in seen_ids]
        if unknown:
            raise ValueError(f"voter {b.voter_id} votes for unknown project {unknown[0]!r}")
        if with_points:
            if b.points is None or len(b.points) != len(b.projects):
                raise ValueError(f"voter {b.voter_id}'s points are not aligned with the vote")
        elif b.points is not None:
            raise ValueError(f"voter {b.voter_id} has points on a {profile.vote_type} ballot")
        missing = set(b.fields) - set(vcols)
        if missing:
            raise ValueError(f"voter {b.voter_id} has fields {sorted(missing)} not in vote_columns")
        row = []
        for col in vcols:
            if col == "voter_id":
                row.append(b.voter_id)
            elif col == "vote":
                row.append(",".join(b.projects))
            elif col == "points" and with_points:
                row.append(",".join(str(x) for x in b.points or ()))
            else:
                row.append(b.fields.get(col, ""))
        w.writerow(row)
    return w.text()


def write_election(instance: Instance, profile: Profile) -> str:
    """Return a new pabulib file for an instance and profile (derived columns, with counts)."""
    return write(PbFile(instance=instance, profile=profile), add_counts=True)


def meta_value(instance: Instance, key: str) -> str | None:
    """Return a META value with surrounding blanks removed, or None if the key is absent."""
    value: Mapping[str, str] = instance.meta
    text = value.get(key)
    return None if text is None else text.strip()


# The ballot limits that META may state, as the pabulib format defines them
# (https://pabulib.org/format, "if vote_type == ..."): a ballot lists between min_length and
# max_length projects (so max_length 0 allows only empty ballots; absent, num_projects), an
# approval ballot costs between min_sum_cost and max_sum_cost, and a cumulative ballot gives
# each project between min_points and max_points and in all between min_sum_points and
# max_sum_points. An approval vote is "a subset of projects" and an ordinal one "a permutation
# of a subset", so a vote lists each project once.
LENGTH_KEYS = ("min_length", "max_length")
COST_KEYS = ("min_sum_cost", "max_sum_cost")
POINTS_KEYS = ("min_points", "max_points", "min_sum_points", "max_sum_points")


def _limit(pb: PbFile, key: str, *, whole: bool) -> Fraction | None:
    """Return a META limit (None when absent, empty or ``None``); refuse a negative one."""
    text = pb.instance.meta.get(key)
    if text is None or text.strip().lower() in ("", "none"):
        return None
    line = pb.meta_lines.get(key, 1)
    value = parse_decimal(text)
    if value is None or (whole and value.denominator != 1):
        raise PbError(line, f"META {key} '{shown(text)}' {number_problem(text, whole=whole)}")
    if value < 0:
        raise PbError(line, f"META {key} is {shown(text)}, which is negative")
    return value


def _limits(pb: PbFile, keys: tuple[str, ...], *, whole: bool) -> dict[str, Fraction | None]:
    values = {key: _limit(pb, key, whole=whole) for key in keys}
    for key in keys[::2]:
        least, most = values[key], values[key.replace("min_", "max_")]
        if least is not None and most is not None and least > most:
            high = key.replace("min_", "max_")
            raise PbError(
                pb.meta_lines.get(key, 1),
                f"META {key} ({format_decimal(least)}) is more than {high} "
                f"({format_decimal(most)})",
            )
    return values


def check_limits(pb: PbFile) -> None:
    """Raise PbError at the first ballot that breaks the limits its own META states.

    Checked: a project listed twice in one vote, ``min_length``/``max_length``,
    ``min_sum_cost``/``max_sum_cost`` (approval), and for cumulative files negative points,
    ``min_points``/``max_points`` per project and ``min_sum_points``/``max_sum_points`` in all.
    A META limit that is not a number, is negative, or is below its partner is refused at its
    own line. Limits that META does not state are not checked.
    """
    vote_type = pb.profile.vote_type
    lengths = _limits(pb, LENGTH_KEYS, whole=True)
    costs = _limits(pb, COST_KEYS, whole=False) if vote_type == "approval" else {}
    points = _limits(pb, POINTS_KEYS, whole=False) if vote_type == "cumulative" else {}
    cost_of = {p.id: p.cost for p in pb.instance.projects}
    lines = pb.vote_lines
    for index, ballot in enumerate(pb.profile.ballots):
        line = lines[index] if index < len(lines) else 1
        problem = _ballot_problem(ballot, lengths, costs, points, cost_of)
        if problem:
            raise PbError(line, f"voter {ballot.voter_id} {problem}")


def _ballot_problem(
    ballot: Ballot,
    lengths: Mapping[str, Fraction | None],
    costs: Mapping[str, Fraction | None],
    points: Mapping[str, Fraction | None],
    cost_of: Mapping[str, Fraction],
) -> str | None:
    """Return how `ballot` breaks the limits, as words after "voter X", or None."""
    seen: set[str] = set()
    for pid in ballot.projects:
        if pid in seen:
            return (
                f"lists project {pid} twice; a pabulib vote lists each project once "
                "(an approval vote is a set of projects, a ranking names each once)"
            )
        seen.add(pid)
    n = len(ballot.projects)
    least, most = lengths["min_length"], lengths["max_length"]
    if most is not None and n > most:
        return f"lists {plural(n, 'project')}, more than the {most} that max_length allows"
    if least is not None and n < least:
        return f"lists {plural(n, 'project')}, fewer than the {least} that min_length asks for"
    if costs:
        total = sum((cost_of[pid] for pid in ballot.projects), Fraction(0))
        low, high = costs["min_sum_cost"], costs["max_sum_cost"]
        if high is not None and total > high:
            return (
                f"chooses projects costing {format_decimal(total)} in all, more than the "
                f"{format_decimal(high)} that max_sum_cost allows"
            )
        if low is not None and total < low:
            return (
                f"chooses projects costing {format_decimal(total)} in all, less than the "
                f"{format_decimal(low)} that min_sum_cost asks for"
            )
    if points:
        given = ballot.points or ()
        for pid, value in zip(ballot.projects, given):
            if value < 0:
                return f"gives {value} points to project {pid}; points cannot be negative"
            high = points["max_points"]
            if high is not None and value > high:
                return (
                    f"gives {value} points to project {pid}, more than the "
                    f"{format_decimal(high)} that max_points allows"
                )
            low = points["min_points"]
            if low is not None and value < low:
                return (
                    f"gives {value} points to project {pid}, fewer than the "
                    f"{format_decimal(low)} that min_points asks for"
                )
        total_points = sum(given)
        high, low = points["max_sum_points"], points["min_sum_points"]
        if high is not None and total_points > high:
            return (
                f"gives {total_points} points in all, more than the {format_decimal(high)} "
                "that max_sum_points allows"
            )
        if low is not None and total_points < low:
            return (
                f"gives {total_points} points in all, fewer than the {format_decimal(low)} "
                "that min_sum_points asks for"
            )
    return None

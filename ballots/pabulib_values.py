"""The values of a pabulib file: `PbFile`, `PbError`, and how numbers and vote types are read
and written (shared by reading, writing and the limit checks; see ballots/pabulib.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ballots.model import Instance, Profile, Project, VoteType

__all__ = [
    "MAX_NUMBER_LENGTH",
    "SECTIONS",
    "VOTE_TYPES",
    "PbError",
    "PbFile",
    "default_project_columns",
    "default_vote_columns",
    "format_decimal",
    "normalise_vote_type",
    "number_problem",
    "parse_decimal",
    "parse_int",
    "shown",
]

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


def parse_int(text: str) -> int | None:
    """Return the integer a string such as ``-12`` spells, or None (also when too long)."""
    s = text.strip()
    if len(s) > MAX_NUMBER_LENGTH:
        return None
    body = s[1:] if s[:1] in ("+", "-") else s
    if not (body.isascii() and body.isdigit()):
        return None
    return int(s)

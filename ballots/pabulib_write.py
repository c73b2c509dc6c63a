"""Write pabulib files: `write` gives text that `parse` (ballots/pabulib.py) reads back to an
equal `PbFile`; numbers are written as the shortest exact decimal."""

from __future__ import annotations

from collections.abc import Iterable

from ballots.model import Ballot, Instance, Profile, Project
from ballots.pabulib_values import (
    PbFile,
    format_decimal,
    normalise_vote_type,
    parse_decimal,
    parse_int,
)

__all__ = ["write", "write_election"]


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
        if text is not None and parse_int(text) != count:
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
    w = _Writer()
    w.writerow(["META"])
    w.writerow(["key", "value"])
    w.writerows(_meta_rows(pb, add_counts=add_counts))
    ids = _write_projects(w, pb)
    _write_votes(w, pb, ids)
    return w.text()


def _write_header(
    w: _Writer, section: str, columns: tuple[str, ...], required: tuple[str, ...], what: str
) -> None:
    """Write a section's name and column row; raise ValueError if a required column lacks."""
    for column in required:
        if column not in columns:
            raise ValueError(f"{what} lacks '{column}'")
    w.writerow([section])
    w.writerow(columns)


def _write_projects(w: _Writer, pb: PbFile) -> set[str]:
    """Write the PROJECTS section; return the project ids."""
    pcols = pb.project_columns
    _write_header(w, "PROJECTS", pcols, ("project_id", "cost"), "project_columns")
    seen_ids: set[str] = set()
    for p in pb.instance.projects:
        _check_project(p, pcols, seen_ids)
        seen_ids.add(p.id)
        w.writerow([_project_cell(p, col) for col in pcols])
    return seen_ids


def _check_project(p: Project, pcols: tuple[str, ...], seen_ids: set[str]) -> None:
    """Raise ValueError if the format cannot hold this project."""
    if not p.id or p.id != p.id.strip() or "," in p.id:
        raise ValueError(f"project id {p.id!r} cannot be written (empty, padded or has ',')")
    if p.id in seen_ids:
        raise ValueError(f"project id {p.id!r} appears twice")
    missing = set(p.fields) - set(pcols)
    if missing:
        raise ValueError(f"project {p.id} has fields {sorted(missing)} not in project_columns")
    if p.name and "name" not in pcols:
        raise ValueError(f"project {p.id} has a name but project_columns has no 'name'")


def _project_cell(p: Project, col: str) -> str:
    if col == "project_id":
        return p.id
    if col == "cost":
        return format_decimal(p.cost)
    if col == "name":
        return p.name
    return p.fields.get(col, "")


def _write_votes(w: _Writer, pb: PbFile, ids: set[str]) -> None:
    """Write the VOTES section."""
    vcols = pb.vote_columns
    with_points = pb.profile.vote_type in ("cumulative", "scoring")
    required = ("voter_id", "vote", *(("points",) if with_points else ()))
    _write_header(w, "VOTES", vcols, required, "vote_columns")
    seen_voters: set[str] = set()
    for b in pb.profile.ballots:
        if b.voter_id in seen_voters:
            raise ValueError(f"voter id {b.voter_id!r} appears twice")
        _check_ballot(b, pb.profile.vote_type, vcols, ids)
        seen_voters.add(b.voter_id)
        w.writerow([_ballot_cell(b, col, with_points) for col in vcols])


def _check_ballot(b: Ballot, vote_type: str, vcols: tuple[str, ...], ids: set[str]) -> None:
    """Raise ValueError if the format cannot hold this ballot."""
    if not b.voter_id or b.voter_id != b.voter_id.strip():
        raise ValueError(f"voter id {b.voter_id!r} cannot be written (empty or padded)")
    unknown = [pid for pid in b.projects if pid not in ids]
    if unknown:
        raise ValueError(f"voter {b.voter_id} votes for unknown project {unknown[0]!r}")
    if vote_type in ("cumulative", "scoring"):
        if b.points is None or len(b.points) != len(b.projects):
            raise ValueError(f"voter {b.voter_id}'s points are not aligned with the vote")
    elif b.points is not None:
        raise ValueError(f"voter {b.voter_id} has points on a {vote_type} ballot")
    missing = set(b.fields) - set(vcols)
    if missing:
        raise ValueError(f"voter {b.voter_id} has fields {sorted(missing)} not in vote_columns")


def _ballot_cell(b: Ballot, col: str, with_points: bool) -> str:
    if col == "voter_id":
        return b.voter_id
    if col == "vote":
        return ",".join(b.projects)
    if col == "points" and with_points:
        return ",".join(str(x) for x in b.points or ())
    return b.fields.get(col, "")


def write_election(instance: Instance, profile: Profile) -> str:
    """Return a new pabulib file for an instance and profile (derived columns, with counts)."""
    return write(PbFile(instance=instance, profile=profile), add_counts=True)

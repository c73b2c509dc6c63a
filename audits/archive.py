"""The verifier's source archive: a reproducible tar of exactly the code decide-verify runs.

The manifest names the SHA-256 of this archive (``verifier_archive_sha256``) and the PDF prints
it, so an auditor can tell whether the verifier they hold is the one the round was published
with, without trusting a package index.

What is in it: every ``*.py`` file under ``audits/``, ``ballots/`` and ``decide/allocation/``,
``decide/__init__.py``, and every file in ``audits/fonts/`` (the fonts the printed pages are
rendered with). Nothing else: no tests, no web app, no compiled files (the optional C float
screen behind equal shares changes speed, never outcomes, so it is left out).

How it is made (`source_archive`):

- paths are relative to the folder holding the ``audits`` package, written with ``/``, each
  prefixed ``decide-verifier/``, and sorted by their UTF-8 bytes;
- one POSIX ustar header per file (no directory entries): mode ``0644``, uid and gid 0, empty
  user and group names, modification time 0, regular file;
- the archive ends as Python's ``tarfile`` ends a ustar archive: two zero blocks, then zeros up
  to a multiple of 10240 bytes. It is not compressed (compressors differ between versions).

``decide-verify --source-archive FILE`` writes it from the verifier's own installed files and
prints its SHA-256; ``--source-listing`` prints each file's SHA-256 instead, to compare file by
file with a checkout of the repository at the manifest's ``software_commit``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import tarfile
from pathlib import Path

__all__ = ["PREFIX", "source_archive", "source_archive_sha256", "source_files", "source_root"]

PREFIX = "decide-verifier"


def source_root() -> Path:
    """Return the folder that holds the ``audits`` package (the repository or site-packages)."""
    return Path(__file__).resolve().parent.parent


def source_files(root: Path | None = None) -> list[str]:
    """Return the archive's file paths, relative to `root`, in archive order."""
    root = source_root() if root is None else root
    paths: set[str] = set()
    for package in ("audits", "ballots", "decide/allocation"):
        for path in (root / package).rglob("*.py"):
            if "__pycache__" not in path.parts:
                paths.add(path.relative_to(root).as_posix())
    for path in (root / "audits" / "fonts").iterdir():
        if path.is_file():
            paths.add(path.relative_to(root).as_posix())
    paths.add("decide/__init__.py")
    return sorted(paths, key=lambda p: p.encode("utf-8"))


def source_archive(root: Path | None = None) -> bytes:
    """Return the archive's bytes (see the module docstring)."""
    root = source_root() if root is None else root
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for rel in source_files(root):
            data = (root / rel).read_bytes()
            info = tarfile.TarInfo(f"{PREFIX}/{rel}")
            info.size = len(data)
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@functools.cache
def source_archive_sha256() -> str:
    """Return the SHA-256 of this installation's source archive (computed once)."""
    return hashlib.sha256(source_archive()).hexdigest()

"""Shared fixtures for the allocation tests: the pabulib files and the pabutools reference."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ballots import pabulib

PABULIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "pabutools_reference.json"


def pabulib_files() -> list[Path]:
    """Return the pabulib files, smallest first."""
    return sorted(PABULIB.glob("*.pb"), key=lambda p: p.stat().st_size)


@cache
def parsed(name: str) -> pabulib.PbFile:
    """Parse one pabulib file once per test session."""
    return pabulib.parse((PABULIB / f"{name}.pb").read_text(encoding="utf-8"))


@cache
def reference() -> dict:
    """Return the pabutools reference entries by file stem."""
    if not REFERENCE.exists():
        return {}
    return json.loads(REFERENCE.read_text())["entries"]

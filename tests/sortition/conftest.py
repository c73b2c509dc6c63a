"""Fixtures for the sortition tests: the two public example pools, written from issue 15.

Both have features gender (female/male) and leaning (liberal/conservative):
example_small_20 is a panel of 20 from 200 people (1 female conservative, 99 female liberal,
100 male conservative), every value's quota 9..20; example_large_200 a panel of 200 from
2,000 people (1, 999 and 1,000 of the same kinds), quotas 99..200.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from decide.sortition import Pool, Quota, parse_pool, parse_quotas
from tests.cli.conftest import instance  # noqa: F401 (the `decide` command tests' fixture)

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Example:
    """One example: its files, parsed pool and quotas, and panel size."""

    name: str
    pool_csv: Path
    quotas_csv: Path
    pool: Pool
    quotas: tuple[Quota, ...]
    size: int


def load_example(name: str) -> Example:
    """Return the example called `name` from tests/sortition/data."""
    pool_csv, quotas_csv = DATA / f"{name}_pool.csv", DATA / f"{name}_quotas.csv"
    return Example(
        name,
        pool_csv,
        quotas_csv,
        parse_pool(pool_csv.read_text(encoding="utf-8")),
        parse_quotas(quotas_csv.read_text(encoding="utf-8")),
        int((DATA / f"{name}_size.txt").read_text()),
    )


@pytest.fixture(scope="session")
def example_small_20() -> Example:
    """Return the small public example (panel of 20 from 200)."""
    return load_example("example_small_20")


@pytest.fixture(scope="session")
def example_large_200() -> Example:
    """Return the large public example (panel of 200 from 2,000)."""
    return load_example("example_large_200")

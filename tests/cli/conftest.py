"""Helpers for the `decide` command's tests: run it as a person would, in a clean shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DECIDE = Path(sys.executable).with_name("decide")


def clean_environment(instance: Path) -> dict[str, str]:
    """Return the environment of a new shell: no DECIDE_* variable but the instance folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DECIDE_", "FLASK_"))}
    # Only to keep the tests out of the repository's own instance/ folder.
    env["DECIDE_INSTANCE_PATH"] = str(instance)
    return env


def run_decide(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `.venv/bin/decide ARGS` in a clean environment; return the finished process."""
    return subprocess.run(
        [str(DECIDE), *args],
        env=clean_environment(instance),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """Return an empty instance folder."""
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


@pytest.fixture
def keyed_instance(instance: Path) -> Path:
    """Return an instance folder holding a secret key, as `make run` leaves it."""
    key = instance / "secret_key"
    key.write_text("k" * 64 + "\n")
    key.chmod(0o600)
    return instance

"""docs/THREATS.md exists, is linked from README and the privacy notice, and names real tests."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THREATS = ROOT / "docs" / "THREATS.md"


def test_every_test_named_in_threats_exists():
    text = THREATS.read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(named) >= 20
    for path, name in named:
        source = (ROOT / path).read_text(encoding="utf-8")
        if name:
            assert f"def {name}(" in source, f"{path}::{name} is named but does not exist"


def test_threats_is_linked_from_readme_and_the_privacy_notice(client):
    assert "docs/THREATS.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    privacy = client.get("/privacy").get_data(as_text=True)
    assert 'href="/privacy/ballot-secrecy"' in privacy
    page = client.get("/privacy/ballot-secrecy")
    assert page.status_code == 200 and "A buyer who holds a voter" in page.get_data(as_text=True)

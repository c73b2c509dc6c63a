"""Issue 13, acceptance 2: decide-verify on every published test vector.

Each valid vector passes against its pinned keys (exit 0); each invalid copy fails exactly the
check its expected.json names, and no other (checks that depend on it are not run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audits.pdf import read_attachments
from audits.receipts import SignedReceipt
from audits.verify import load_pinned_keys, main, read_folder, verify_bundle, verify_pdf

HERE = Path(__file__).resolve().parent
VECTORS = sorted(p for p in HERE.iterdir() if (p / "expected.json").is_file())
VALID = [p for p in VECTORS if p.name.startswith("valid-")]
INVALID = [p for p in VECTORS if p.name.startswith("invalid-")]


def test_the_vectors_cover_every_kind_and_every_check():
    kinds = set()
    for folder in VALID:
        manifest = json.loads((folder / "manifest.json").read_text())
        kinds.add(manifest["ballot"]["kind"])
    assert kinds == {"approval", "knapsack", "cumulative", "ranked"}
    assert any(json.loads((f / "manifest.json").read_text())["currency"] == "PLN" for f in VALID)
    assert any(json.loads((f / "manifest.json").read_text())["rule_change_reason"] for f in VALID)
    assert len(VALID) >= 5
    failing = sorted({json.loads((f / "expected.json").read_text())["fails"] for f in INVALID})
    assert failing == list(range(1, 10))


def _run(folder: Path, capsys) -> tuple[int, str]:
    expected = json.loads((folder / "expected.json").read_text())
    args = ["--keys", str(folder / "pinned-keys.json")]
    if (folder / "receipt.json").is_file():
        args += ["--receipt", str(folder / "receipt.json")]
    source = folder / "round.pdf" if expected.get("mode", "pdf") == "pdf" else folder
    code = main([str(source), *args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("folder", VALID, ids=[p.name for p in VALID])
def test_valid_vector_passes(folder, capsys):
    code, out = _run(folder, capsys)
    assert code == 0, out
    assert "ALL CHECKS PASSED" in out
    # The folder of files passes too, its HTML tally re-rendered byte for byte.
    files = read_folder(folder)
    assert read_attachments((folder / "round.pdf").read_bytes()) == files
    pinned = load_pinned_keys((folder / "pinned-keys.json").read_bytes())
    html = (folder / "tally.html").read_bytes()
    checks = verify_bundle(files, pinned_keys=pinned, html=html)
    assert all(c.ok for c in checks) and checks[8].status == "PASS", [c.line() for c in checks]
    assert main([str(folder), "--keys", str(folder / "pinned-keys.json")]) == 0


@pytest.mark.parametrize("folder", INVALID, ids=[p.name for p in INVALID])
def test_invalid_vector_fails_exactly_its_check(folder, capsys):
    expected = json.loads((folder / "expected.json").read_text())
    code, out = _run(folder, capsys)
    assert code == expected["exit"], out
    pinned = load_pinned_keys((folder / "pinned-keys.json").read_bytes())
    receipt = None
    if (folder / "receipt.json").is_file():
        receipt = SignedReceipt.from_json((folder / "receipt.json").read_bytes())
    if expected["mode"] == "pdf":
        checks = verify_pdf((folder / "round.pdf").read_bytes(), pinned_keys=pinned)
    else:
        page = folder / "tally.html"
        html = page.read_bytes() if page.is_file() else None
        checks = verify_bundle(read_folder(folder), pinned_keys=pinned, receipt=receipt, html=html)
    failed = {c.number for c in checks if c.status == "FAIL"}
    assert failed == {expected["fails"]}, [c.line() for c in checks]
    assert f"FAILED: check(s) {expected['fails']}" in out

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.bundle import publish
from audits.pdf import ATTACHMENT_NAMES, printed_digests, read_attachments
from audits.verify import UnusableInput, main, verify_bundle, verify_pdf


def statuses(checks):
    return [c.status for c in checks]


def test_published_pdf_passes_every_check(full, panel):
    _, public = panel
    checks = verify_pdf(full.publication.pdf, pinned_keys=public)
    assert statuses(checks) == ["PASS"] * 7 + ["SKIP", "PASS", "SKIP", "SKIP"], [
        c.line() for c in checks
    ]
    assert [c.number for c in checks] == list(range(1, 12))


def test_pdf_carries_the_files_and_prints_their_digests(full):
    attached = read_attachments(full.publication.pdf)
    assert set(attached) == set(ATTACHMENT_NAMES)
    assert attached == full.files
    printed = printed_digests(full.publication.pdf)
    assert printed["manifest.json"] == full.closing.manifest.digest_hex()
    assert set(printed) == set(ATTACHMENT_NAMES)


def test_same_inputs_same_pdf_bytes(full):
    annex = full.files["delivery.json"]
    sigs_again = publish(full.closing, _signatures(full), full.ledger, annex=annex)
    assert sigs_again.pdf == full.publication.pdf


def _signatures(built):
    from audits.bls import SignatureRecord
    from audits.canonical import parse_canonical

    obj = parse_canonical(built.files["signatures.json"])
    return [SignatureRecord.from_dict(s) for s in obj["signatures"]]


def test_not_a_pdf_is_unusable():
    with pytest.raises(UnusableInput):
        verify_pdf(b"hello")
    with pytest.raises(UnusableInput):
        verify_pdf(b"%PDF-1.4 truncated")


def test_cli_exit_codes(full, panel, tmp_path, capsys):
    _, public = panel
    pdf = tmp_path / "round.pdf"
    pdf.write_bytes(full.publication.pdf)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([p.to_dict() for p in public]))
    assert main([str(pdf), "--keys", str(keys)]) == 0
    out = capsys.readouterr().out
    assert "1. PASS" in out and "7. PASS" in out and "8. SKIP" in out and "9. PASS" in out
    assert out.rstrip().endswith("ALL CHECKS PASSED")

    # Without pinned keys every check passes, but nobody vouches for the keys: exit 3.
    assert main([str(pdf)]) == 3
    out = capsys.readouterr().out
    assert "6. WARN" in out
    assert (
        "the signatures are consistent, but anyone could have made them: pin the panel's keys"
        in out
    )
    assert "ALL CHECKS PASSED" not in out

    folder = tmp_path / "bundle"
    folder.mkdir()
    for name, data in full.files.items():
        (folder / name).write_bytes(data)
    assert main([str(folder), "--keys", str(keys)]) == 0
    assert "9. SKIP" in capsys.readouterr().out
    (folder / "ledger.json").write_bytes(b"{}")
    assert main([str(folder)]) == 1
    assert "7. FAIL" in capsys.readouterr().out

    assert main([str(tmp_path / "missing.pdf")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main([str(pdf), "--keys", str(bad)]) == 2
    assert main([str(pdf), "--receipt", str(bad)]) == 2
    text = tmp_path / "text.pdf"
    text.write_text("not a pdf")
    assert main([str(text)]) == 2


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_changing_any_byte_of_any_attachment_fails(full, data):
    """Issue 5, acceptance 3: folder mode (no printed page to lean on) still fails.

    delivery.json included: the ledger checkpoint the panel co-signed states its SHA-256.
    """
    files = full.files
    name = data.draw(st.sampled_from(sorted(files)))
    blob = files[name]
    index = data.draw(st.integers(0, len(blob) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != blob[index]))
    files[name] = blob[:index] + bytes([new]) + blob[index + 1 :]
    checks = verify_bundle(files)
    assert any(c.status == "FAIL" for c in checks), (name, index, new)


def test_delivery_annex_must_agree_with_the_manifest_ledger_and_ballots(full):
    from audits.annex import DeliveryAnnex

    annex = DeliveryAnnex.from_json_bytes(full.files["delivery.json"])
    assert [c.status for c in verify_bundle(full.files)][6] == "PASS"
    first = annex.deciles[0]
    for changed in (
        dataclasses.replace(annex, deciles=(dataclasses.replace(first, paid=first.paid + 1),
                                            *annex.deciles[1:])),
        dataclasses.replace(annex, covered=annex.covered - 1),
        dataclasses.replace(annex, voters=annex.voters + 1),
    ):  # fmt: skip
        files = {**full.files, "delivery.json": changed.to_json_bytes()}
        checks = verify_bundle(files)
        assert checks[6].status == "FAIL" and "delivery.json" in checks[6].line()
    files = {**full.files, "delivery.json": b"{}"}
    assert any(c.status == "FAIL" for c in verify_bundle(files))


def _forged_annexes(annex):
    """Yield (what changed, annex): each reported figure the money checks cannot recompute."""
    first, *rest = annex.turnout
    yield (
        "population",
        dataclasses.replace(
            annex, turnout=(dataclasses.replace(first, population=first.population + 1), *rest)
        ),
    )
    yield (
        "turnout",
        dataclasses.replace(
            annex, turnout=(dataclasses.replace(first, voters=first.voters + 5), *rest)
        ),
    )
    d0, *drest = annex.deciles
    yield (
        "decile population",
        dataclasses.replace(
            annex, deciles=(dataclasses.replace(d0, population=d0.population * 2), *drest)
        ),
    )
    (label, n), *mrest = annex.milestones
    yield (
        "milestone status",
        dataclasses.replace(annex, milestones=((label, n - 1), *mrest, ("Completed", 4))),
    )
    i0, *irest = annex.impact
    yield (
        "impact total",
        dataclasses.replace(annex, impact=(dataclasses.replace(i0, total=i0.total * 2), *irest)),
    )
    yield (
        "impact aggregation",
        dataclasses.replace(annex, impact=(dataclasses.replace(i0, aggregation="sum"), *irest)),
    )


def test_every_figure_of_the_delivery_annex_is_cosigned(full):
    """A forger who changes a reported figure and re-renders the pages still fails check 7."""
    from audits.annex import DeliveryAnnex

    annex = DeliveryAnnex.from_json_bytes(full.files["delivery.json"])
    for what, forged in _forged_annexes(annex):
        assert forged != annex, what
        # The printed pages re-rendered from the forged file, so check 9 alone would pass.
        pdf = publish(full.closing, _signatures(full), full.ledger,
                      annex=forged.to_json_bytes()).pdf  # fmt: skip
        checks = verify_pdf(pdf)
        failed = [c for c in checks if c.status == "FAIL"]
        assert [c.number for c in failed] == [7], (what, [c.line() for c in checks])
        assert "not the annex the panel co-signed in checkpoint 1" in failed[0].line(), what


def test_an_annex_without_a_cosigned_checkpoint_fails(full):
    from audits.ledger import Ledger

    ledger = Ledger.from_json_bytes(full.files["ledger.json"])
    bare = Ledger(ledger.round_id, ledger.entries[:0])
    files = {**full.files, "ledger.json": bare.to_json_bytes()}
    checks = verify_bundle(files)
    assert checks[6].status == "FAIL"
    assert "delivery.json is not co-signed" in checks[6].line()


def test_unknown_rule_reports_rule_not_available(full):
    from audits.canonical import canonical_json, parse_canonical

    files = full.files
    m = parse_canonical(files["manifest.json"])
    m["rule"] = "borda-lottery"
    files["manifest.json"] = canonical_json(m)
    checks = verify_bundle(files)
    assert checks[4].status == "FAIL" and "rule not available" in checks[4].reason
    assert checks[5].status == "FAIL"  # the manifest no longer matches its signatures


def test_hostile_manifest_shapes_fail_without_crashing(full):
    from audits.canonical import canonical_json, parse_canonical

    for field, value in [
        ("tally", {"projects": [1, 2]}),
        ("ballot", {"kind": "x"}),
        ("rule_parameters", {"budget": "nope"}),
        ("projects", [[]]),
    ]:
        files = full.files
        m = parse_canonical(files["manifest.json"])
        m[field] = value
        files["manifest.json"] = canonical_json(m)
        checks = verify_bundle(files)
        assert any(c.status == "FAIL" for c in checks)
        assert len(checks) == 11

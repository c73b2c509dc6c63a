"""Issue 13, acceptance 1: a dishonest administrator's ways through, each failing its check.

The printed page is bound to the signed files (check 9), unpinned keys are only "consistent"
(exit 3), payments outside every co-signed checkpoint are listed (exit 3), a kept ledger head
catches a rollback (exit 1), and the rule change and Add1's k are signed data (checks 5, 6).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from audits import bls
from audits.bundle import close_round, keys_json, publish
from audits.canonical import canonical_json, parse_canonical
from audits.edition import document_from_files
from audits.ledger import Ledger, SignedCheckpoint
from audits.pdf import ResultRow, render_pdf
from audits.verify import main, verdict, verify_bundle, verify_pdf
from ballots.model import Instance, Project

from .conftest import collude, make_board, pay
from .test_tamper import assert_fails_at, failed


def page_with(built, **changes) -> bytes:
    """Return a PDF carrying the genuine files whose printed page says something else."""
    doc = document_from_files(built.files)
    return render_pdf(dataclasses.replace(doc, **changes))


def test_genuine_pdf_passes_and_is_bound(full, panel):
    _, public = panel
    checks = verify_pdf(full.publication.pdf, pinned_keys=public)
    assert not failed(checks) and checks[8].status == "PASS"
    assert verdict(checks).status == 0


def test_page_only_table_change_fails_at_9_naming_page_and_line(full, panel):
    _, public = panel
    doc = document_from_files(full.files)
    rows = list(doc.rows)
    # Swap which project was funded and bump its votes, on the page only.
    funded = next(i for i, r in enumerate(rows) if r.funded)
    unfunded = next(i for i, r in enumerate(rows) if not r.funded)
    rows[funded] = dataclasses.replace(
        rows[funded], funded=False, support=rows[funded].support + 40
    )
    rows[unfunded] = dataclasses.replace(rows[unfunded], funded=True, amount=rows[unfunded].cost)
    forged = render_pdf(dataclasses.replace(doc, rows=tuple(rows)))
    checks = verify_pdf(forged, pinned_keys=public)
    # Every attachment and printed digest is genuine: only the re-rendering catches it.
    assert_fails_at(checks, 9)
    assert failed(checks) == {9}
    assert "page 1, line" in checks[8].reason
    assert verdict(checks).status == 1


@pytest.mark.parametrize(
    "change",
    [
        {"merkle_root": "ab" * 32},
        {"chain_head": "cd" * 32},
    ],
    ids=["false root", "false head"],
)
def test_false_root_or_head_printed_fails_at_9(full, panel, change):
    _, public = panel
    checks = verify_pdf(page_with(full, **change), pinned_keys=public)
    assert failed(checks) == {9}
    assert "line" in checks[8].reason


def test_false_signer_name_printed_fails_at_9(full, panel):
    _, public = panel
    doc = document_from_files(full.files)
    signers = (dataclasses.replace(doc.signers[0], name="Cy"), *doc.signers[1:])
    checks = verify_pdf(render_pdf(dataclasses.replace(doc, signers=signers)), pinned_keys=public)
    assert failed(checks) == {9}
    assert "Cy" in checks[8].reason


def _forged_round(plain, names):
    """A round with one project's cost changed everywhere, re-signed with keys minted under
    the members' names: every file agrees with every other."""
    spec = plain.spec
    projects = list(spec.instance.projects)
    p = projects[0]
    projects[0] = Project(p.id, p.cost + 10_000, p.name, p.fields)
    minted = tuple(bls.generate(n, seed=bytes([40 + i]) * 32) for i, n in enumerate(names))
    forged_spec = dataclasses.replace(
        spec,
        instance=Instance(spec.instance.budget, tuple(projects)),
        panel=tuple(k.public_record() for k in minted),
    )
    closing = close_round(forged_spec, plain.board)
    sigs = [bls.sign_document(k, closing.manifest.to_dict()) for k in minted[:2]]
    return publish(closing, sigs)


def test_resigned_forgery_is_only_consistent_without_pinned_keys_and_fails_with_them(
    plain, panel, tmp_path, capsys
):
    _, public = panel
    forged = _forged_round(plain, ["Ada", "Bo", "Cy"])
    unpinned = verify_pdf(forged.pdf)
    assert not failed(unpinned)
    result = verdict(unpinned)
    assert result.status == 3
    assert any(
        "the signatures are consistent, but anyone could have made them: pin the panel's keys"
        in line
        for line in result.lines
    )
    pinned = verify_pdf(forged.pdf, pinned_keys=public)
    assert_fails_at(pinned, 6)
    assert verdict(pinned).status == 1

    pdf = tmp_path / "forged.pdf"
    pdf.write_bytes(forged.pdf)
    keys = tmp_path / "keys.json"
    keys.write_bytes(keys_json(plain.spec.round_id, public, 2))
    assert main([str(pdf)]) == 3
    assert "anyone could have made them: pin the panel's keys" in capsys.readouterr().out
    assert main([str(pdf), "--keys", str(keys)]) == 1


def test_payment_after_the_last_checkpoint_exits_3_with_its_list(full, panel, tmp_path, capsys):
    _, public = panel
    funded = sorted(full.closing.manifest.allocation)
    later = pay(full.ledger, full.closing, funded[2], 70_000, 25)
    sigs = [bls.sign_document(k, full.closing.manifest.to_dict()) for k in full.keys[:2]]
    pub = publish(full.closing, sigs, later, annex=full.files["delivery.json"])
    checks = verify_pdf(pub.pdf, pinned_keys=public)
    assert not failed(checks)
    assert checks[6].status == "WARN"
    assert "payment 3 on 2026-11-25, £700.00 to project " + funded[2] in checks[6].reason
    assert verdict(checks).status == 3

    pdf = tmp_path / "later.pdf"
    pdf.write_bytes(pub.pdf)
    keys = tmp_path / "keys.json"
    keys.write_bytes(full.files["keys.json"])
    assert main([str(pdf), "--keys", str(keys)]) == 3
    out = capsys.readouterr().out
    assert "payments not covered by the panel" in out and "payment 3 on 2026-11-25" in out


def _two_checkpoints(full):
    ledger = full.ledger
    funded = sorted(full.closing.manifest.allocation)
    ledger = pay(ledger, full.closing, funded[2], 70_000, 25)
    cp = ledger.checkpoint(full.closing.manifest.digest(), "2026-11-26")
    cp_sigs = [bls.sign_document(k, cp.to_dict()) for k in full.keys[:2]]
    return ledger.with_checkpoint(SignedCheckpoint.of(cp, cp_sigs))


def test_removed_checkpoint_with_the_kept_head_exits_1(full, panel, tmp_path, capsys):
    _, public = panel
    ledger = _two_checkpoints(full)
    kept = ledger.checkpoints[-1].checkpoint.head
    sigs = [bls.sign_document(k, full.closing.manifest.to_dict()) for k in full.keys[:2]]
    # The administrator rolls back: the last payment and its checkpoint are gone.
    rolled = Ledger(ledger.round_id, ledger.entries[:2], ledger.checkpoints[:1])
    # Checkpoint 1 was co-signed with the delivery annex, so the edition carries it.
    pub = publish(full.closing, sigs, rolled, annex=full.files["delivery.json"])
    assert verdict(verify_pdf(pub.pdf, pinned_keys=public)).status == 0
    checks = verify_pdf(pub.pdf, pinned_keys=public, ledger_head=kept)
    assert_fails_at(checks, 7)
    assert "rolled back or a checkpoint was removed" in checks[6].reason
    # The genuine edition 3 has that head.
    genuine = publish(full.closing, sigs, ledger)
    assert verdict(verify_pdf(genuine.pdf, pinned_keys=public, ledger_head=kept)).status == 0

    pdf = tmp_path / "rolled.pdf"
    pdf.write_bytes(pub.pdf)
    keys = tmp_path / "keys.json"
    keys.write_bytes(full.files["keys.json"])
    assert main([str(pdf), "--keys", str(keys), "--ledger-head", kept.hex()]) == 1
    assert main([str(pdf), "--keys", str(keys), "--ledger-head", "zz"]) == 2


def test_checkpoint_removed_from_the_middle_fails_at_7(full):
    ledger = _two_checkpoints(full)
    # Drop checkpoint 1 but keep checkpoint 2, which names checkpoint 1 as the one before it.
    gap = Ledger(ledger.round_id, ledger.entries, ledger.checkpoints[1:])
    files = full.files
    files["ledger.json"] = gap.to_json_bytes()
    checks = verify_bundle(files)
    assert_fails_at(checks, 7)
    assert "previous" in checks[6].reason


def test_editions_are_numbered_and_dated_by_their_checkpoints(full):
    ledger = _two_checkpoints(full)
    files = full.files
    files["ledger.json"] = ledger.to_json_bytes()
    doc = document_from_files(files)
    assert (doc.edition, doc.publication_date) == ("3", "2026-11-26")
    files["ledger.json"] = Ledger(ledger.round_id).to_json_bytes()
    doc = document_from_files(files)
    assert (doc.edition, doc.publication_date) == ("1", full.closing.manifest.publication_date)


@pytest.fixture(scope="module")
def changed(panel):
    """An equal-shares round whose rule was changed from greedy, with a public reason."""
    from .conftest import SERVER_PEM, ServerKey, make_spec

    keys, public = panel
    spec = dataclasses.replace(
        make_spec(public, ServerKey.from_pem(SERVER_PEM)),
        rule="equal-shares",
        rule_at_voting="greedy",
        rule_change_reason="The panel chose proportional funding after the hustings.",
    )
    closing = close_round(spec, make_board(60))
    sigs = [bls.sign_document(k, closing.manifest.to_dict()) for k in keys[:2]]
    return keys, closing, publish(closing, sigs)


def test_rule_change_and_add1_are_recorded_printed_and_verified(changed, panel):
    _, public = panel
    _, closing, pub = changed
    m = closing.manifest
    assert (m.rule_at_voting, m.rule) == ("greedy", "equal-shares")
    assert m.add1 is not None and m.add1["step"] == "1" and m.add1["k"] >= 0
    budget = Fraction(m.add1["budget_per_voter"])
    assert budget == m.budget / m.ballot_count + m.add1["k"]
    doc = document_from_files(pub.files)
    assert "The panel chose proportional funding after the hustings." in doc.rule_change
    assert f"(k = {m.add1['k']})" in doc.add1
    assert verdict(verify_pdf(pub.pdf, pinned_keys=public)).status == 0


def _resign(changed, files, change):
    keys, _, _ = changed
    files = dict(files)
    m = parse_canonical(files["manifest.json"])
    change(m)
    files["manifest.json"] = canonical_json(m)
    digest = bls.document_digest(m)
    from audits.bundle import signatures_json

    sigs = [bls.sign_document(k, m) for k in keys[:2]]
    files["signatures.json"] = signatures_json(m["round"], digest, sigs)
    return files


def test_changed_rule_change_reason_fails(changed, panel):
    _, public = panel
    _, _, pub = changed

    def reason(m):
        m["rule_change_reason"] = "The facilitator preferred it."

    # Changed after signing: the signatures no longer cover the manifest.
    files = dict(pub.files)
    m = parse_canonical(files["manifest.json"])
    reason(m)
    files["manifest.json"] = canonical_json(m)
    checks = verify_bundle(files, pinned_keys=public)
    assert_fails_at(checks, 6)
    # Re-signed by a colluding panel but the PDF page kept: the page no longer matches.
    resigned = _resign(changed, pub.files, reason)
    checks = verify_bundle(resigned, pinned_keys=public, pdf=pub.pdf)
    assert_fails_at(checks, 9)
    # A rule change with its reason dropped, even re-signed, fails the decision check.
    dropped = _resign(changed, pub.files, lambda m: m.update(rule_change_reason=""))
    checks = verify_bundle(dropped, pinned_keys=public)
    assert_fails_at(checks, 5)
    assert "no public reason" in checks[4].reason


def test_changed_k_fails_at_5(changed, panel):
    _, public = panel
    _, _, pub = changed

    def bump(m):
        m["add1"]["k"] += 1

    checks = verify_bundle(_resign(changed, pub.files, bump), pinned_keys=public)
    assert_fails_at(checks, 5)
    assert "Add1's final step differs" in checks[4].reason


def test_changed_tie_break_words_fail_at_5(full, panel):
    _, public = panel

    def words(m):
        m["tie_break_words"] = "ties broken by the facilitator"

    checks = verify_bundle(collude(full, full.files, words), pinned_keys=public)
    assert_fails_at(checks, 5)


def test_result_rows_render_paid_of_allocated(full):
    doc = document_from_files(full.files)
    paid = {r.project_id: r.paid for r in doc.rows if r.paid}
    assert sum(paid.values()) == sum(e.amount_pence for e in full.ledger.entries)
    assert isinstance(doc.rows[0], ResultRow)


def test_decide_verify_shows_what_the_manifest_decided(changed, tmp_path, capsys):
    _, closing, pub = changed
    pdf = tmp_path / "changed.pdf"
    pdf.write_bytes(pub.pdf)
    keys = tmp_path / "keys.json"
    keys.write_bytes(pub.files["keys.json"])
    assert main([str(pdf), "--keys", str(keys)]) == 0
    out = capsys.readouterr().out
    k = closing.manifest.add1["k"]
    for words in (
        "Rule fixed when voting opened: greedy",
        "Rule confirmed: equal-shares (Method of Equal Shares (proportional), shares raised by "
        "Add1, completed by greedy)",
        "Public reason for the change: The panel chose proportional funding after the hustings.",
        f"Add1: final k = {k}, step 1 minor unit",
        'Tie-break: ties broken by project id in text order, lowest first ("10" comes before "9")',
        "Software: decide 0.1.0, commit " + "0" * 40,
        "(this verifier's)",
    ):
        assert words in out, words

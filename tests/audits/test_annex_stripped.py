"""An edition whose last co-signed checkpoint names a delivery annex must carry
that annex. Stripping delivery.json and re-rendering the pages (anyone can: the verifier's own
renderer does it) must fail check 7, or a publisher could hide the co-signed milestones and
impact figures from an edition without the verifier noticing."""

from __future__ import annotations

from audits.edition import document_from_files
from audits.pdf import render_pdf
from audits.verify import verify_bundle, verify_pdf


def _failed(checks):
    return {i for i, c in enumerate(checks, start=1) if c.status == "FAIL"}


def test_a_checkpoint_naming_an_annex_requires_the_annex_in_the_folder(full):
    files = full.files
    assert full.ledger.checkpoints[-1].checkpoint.annex is not None
    del files["delivery.json"]
    assert 7 in _failed(verify_bundle(files))


def test_a_pdf_stripped_of_its_cosigned_annex_does_not_pass(full):
    files = full.files
    del files["delivery.json"]
    stripped = render_pdf(document_from_files(files))  # pages re-rendered without the annex
    assert 7 in _failed(verify_pdf(stripped))

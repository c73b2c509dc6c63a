"""The delivery annex printed in an edition is the one co-signed with the ledger's
last checkpoint, so it can be older than the site: milestones confirmed or withdrawn and
figures reported after the checkpoint are not in it. The annex page says which checkpoint its
figures are from, and when, so a reader does not take it for the site's current figures."""

from __future__ import annotations

import io

from pypdf import PdfReader


def _annex_text(pdf: bytes) -> str:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    text = " ".join(pages)
    annex = text[text.index("Delivery annex") :]
    return " ".join(annex[: annex.find("Evidence")].split())


def test_the_annex_says_it_is_the_checkpoint_s_figures(full):
    text = _annex_text(full.publication.pdf)
    assert "checkpoint" in text.lower(), text[:400]
    last = full.ledger.checkpoints[-1].checkpoint
    number = len(full.ledger.checkpoints)
    assert f"Figures as co-signed in ledger checkpoint {number}" in text, text[:400]
    assert str(int(last.date[:4])) in text and "later changes appear in the next edition" in text

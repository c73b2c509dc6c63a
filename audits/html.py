"""The tally as an accessible HTML page: the same content and digests as the PDF's pages.

`render_html` writes one self-contained UTF-8 page (no scripts, no external files) from the same
`audits.pdf.TallyDocument` the PDF is drawn from, so screen readers, translation tools and
phones get the whole result, right-to-left names marked ``dir="auto"``. It is deterministic:
``decide-verify FOLDER`` re-renders ``tally.html`` when a folder holds one and compares it byte
for byte (check 9), reporting the first line that differs, as it does for the PDF's pages.
"""

from __future__ import annotations

import base64
import hashlib
from fractions import Fraction
from html import escape

from audits.pdf import ROLE_WORDS, TallyDocument, results_columns
from ballots.wording import money as format_money

__all__ = ["HTML_NAME", "STYLE_CSP_SOURCE", "render_html"]

HTML_NAME = "tally.html"

_STYLE = (
    "body{font-family:'Noto Sans',system-ui,sans-serif;max-width:60rem;margin:1rem auto;"
    "padding:0 1rem;line-height:1.5;color:#1b1b1b;overflow-wrap:anywhere}code{word-break:break-all}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #767676;"
    "padding:.25rem .4rem;vertical-align:top}td.n{text-align:right;white-space:nowrap}"
    "caption{text-align:left;font-weight:bold}pre{white-space:pre-wrap;word-break:break-all}"
    ".wrap{overflow-x:auto}"
)


# The page's one inline style, as a Content-Security-Policy source, for servers that serve it.
STYLE_CSP_SOURCE = (
    "'sha256-" + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode() + "'"
)


def _e(text: str) -> str:
    return escape(text, quote=True)


def render_html(doc: TallyDocument) -> bytes:
    """Return the tally page for `doc` as UTF-8 bytes; the same document gives the same bytes."""
    out = _head(doc)
    out += _results_table(doc)
    out += _areas_and_payments(doc)
    out += _evidence(doc)
    out += _how_to_check(doc)
    return "\n".join(out).encode("utf-8")


def _money(doc: TallyDocument, amount: Fraction | int | None) -> str:
    return format_money(amount, doc.currency)


def _head(doc: TallyDocument) -> list[str]:
    """The page's head, title and how the round was decided."""
    out: list[str] = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Results: {_e(doc.title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f'<h1 dir="auto">Results: {_e(doc.title)}</h1>',
        f"<p>Round {_e(doc.round_id)} · edition {_e(doc.edition)}"
        + (f" · published {_e(doc.publication_date)}" if doc.publication_date else "")
        + "</p>",
        "<h2>How this round was decided</h2>",
        f"<p>Budget: {_money(doc, doc.budget)}. Ballots: {doc.ballot_count:,} ("
        + (", ".join(f"{n:,} {_e(c)}" for c, n in doc.ballots_by_channel) or "none")
        + ").</p>",
        f"<p>Ballot: {_e(doc.ballot_description)}</p>",
        f"<p>Allocation rule: {_e(doc.rule_name)}; {_e(doc.tie_break)}.</p>",
    ]
    for text in (doc.rule_description, doc.add1, doc.rule_change):
        if text:
            out.append(f'<p dir="auto">{_e(text)}</p>')
    return out


def _results_table(doc: TallyDocument) -> list[str]:
    """The results table, with the budget, the money allocated and what is left over."""
    columns = results_columns(doc)
    out = [
        "<h2>Results</h2>",
        '<div class="wrap" tabindex="0" role="region" aria-label="Results table">',
        "<table>",
        "<caption>Projects, their support and what each was given</caption>",
        "<thead><tr>"
        + "".join(f'<th scope="col">{_e(c.header)}</th>' for c in columns)
        + "</tr></thead>",
        "<tbody>",
    ]
    for i in range(len(doc.rows)):
        cells = []
        for j, c in enumerate(columns):
            text = _e(c.cells[i])
            if j == 0:
                cells.append(f'<th scope="row" dir="auto">{text}</th>')
            elif c.numeric:
                cells.append(f'<td class="n">{text}</td>')
            else:
                cells.append(f'<td dir="auto">{text}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    amount = next(c for c in columns if c.header == "Amount")
    out.append("<tfoot>")
    for k, label in enumerate(("Budget", "Allocated", "Left over")):
        figure = amount.cells[len(doc.rows) + k]
        out.append(
            f'<tr><th scope="row" colspan="{len(columns) - 1}">{label}</th>'
            f'<td class="n">{_e(figure)}</td></tr>'
        )
    out += ["</tfoot>", "</table>", "</div>"]
    return out


def _areas_and_payments(doc: TallyDocument) -> list[str]:
    """Funds by area, and the ledger's summary."""
    out = ["<h2>Funds by area</h2>", "<ul>"]
    for a in doc.areas:
        decile = f" (deprivation decile {a.decile})" if a.decile is not None else ""
        out.append(f'<li dir="auto">{_e(a.area)}{decile}: {_money(doc, a.amount)}</li>')
    out += ["</ul>", "<h2>Payments</h2>"]
    if doc.ledger_summary:
        out.append(f"<p>{_e(doc.ledger_summary)}</p>")
    return out


def _evidence(doc: TallyDocument) -> list[str]:
    """The digests, roots and heads, and who signed."""
    evidence = [
        f"{name} SHA-256 {hashlib.sha256(data).hexdigest()}" for name, data in doc.attachments
    ]
    evidence += [f"Merkle root {doc.merkle_root}", f"Chain head {doc.chain_head}"]
    if doc.ledger_head:
        evidence.append(f"Ledger head {doc.ledger_head} ({doc.ledger_count} payments)")
    out = [
        "<h2>Evidence</h2>",
        "<p>The manifest digest (the SHA-256 of manifest.json) is what the panel signed.</p>",
        "<pre>" + _e("\n".join(evidence)) + "</pre>",
        "<h2>Signatures</h2>",
        f"<p>{len(doc.signers)} of {doc.key_count} registered keys signed; "
        f"{doc.threshold} needed to publish.</p>",
    ]
    if doc.threshold_reason:
        out.append(f"<p>Why one signature is enough here: {_e(doc.threshold_reason)}</p>")
    out.append("<ul>")
    for s in doc.signers:
        role = f", {ROLE_WORDS.get(s.role, s.role)}" if s.role else ""
        out.append(
            f'<li dir="auto">{_e(s.name)}{_e(role)}: key fingerprint {_e(s.fingerprint)}</li>'
        )
    out.append("</ul>")
    return out


def _how_to_check(doc: TallyDocument) -> list[str]:
    """Where to get the verifier, and how to run it."""
    source = _e(doc.software_repository or "the decide source repository")
    return [
        "<h2>How to check this yourself</h2>",
        f"<p>Get the verifier's source from {source}, "
        f"version {_e(doc.software_version)}, commit {_e(doc.software_commit)}; its source "
        f"archive has SHA-256 <code>{_e(doc.verifier_archive_sha256)}</code>. Then run "
        "<code>decide-verify FOLDER --keys KEYS.json</code> with the keys the panel members "
        "gave you themselves.</p>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]

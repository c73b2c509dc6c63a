"""Read a PDF tally back: its attached files, the digests printed on its pages, and where
two renderings first differ (the verifier's checks 1 and 9)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pypdf import PdfReader

_DIGEST_LINE = re.compile(r"([A-Za-z0-9_.-]+\.(?:json|pb)) SHA-256 ([0-9a-f]{64})")


def read_attachments(pdf: bytes) -> dict[str, bytes]:
    """Return the PDF's attached files by name; raise ValueError if it is not a readable PDF."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        out: dict[str, bytes] = {}
        for name, contents in reader.attachments.items():
            if len(contents) != 1:
                raise ValueError(f"attachment {name!r} appears {len(contents)} times")
            out[name] = contents[0]
        return out
    except (ValueError, MemoryError):  # running out of memory is not a damaged file
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ValueError(f"not a readable PDF: {exc}") from exc


def _page_texts(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text() or "" for page in reader.pages]


def printed_digests(pdf: bytes) -> Mapping[str, str]:
    """Return the attachment digests printed on the PDF's pages, by file name."""
    try:
        text = "\n".join(_page_texts(pdf))
    except MemoryError:
        raise
    except Exception as exc:
        raise ValueError(f"not a readable PDF: {exc}") from exc
    out: dict[str, str] = {}
    for name, digest in _DIGEST_LINE.findall(text):
        if out.get(name, digest) != digest:
            raise ValueError(f"two different digests are printed for {name}")
        out[name] = digest
    return out


@dataclass(frozen=True)
class PageDifference:
    """Where a PDF first differs from its re-rendering: page and line (1-based), and how."""

    page: int | None
    line: int | None
    printed: str
    expected: str

    def describe(self) -> str:
        """Say in words where the printed document differs from the re-rendered one."""
        if self.page is None:
            return f"the pages read the same, but {self.printed}"
        if self.line is None:
            return f"page {self.page} differs: {self.printed}"
        return (
            f"page {self.page}, line {self.line} prints {self.printed!r} where the attached "
            f"files give {self.expected!r}"
        )


def _page_streams(reader: PdfReader) -> list[bytes]:
    out = []
    for page in reader.pages:
        contents = page.get_contents()
        out.append(b"" if contents is None else contents.get_data())
    return out


def compare_pdfs(printed: bytes, expected: bytes) -> PageDifference | None:
    """Return None when the bytes are equal, else where `printed` first differs."""
    if printed == expected:
        return None
    try:
        ours = _page_texts(printed)
    except Exception as exc:
        return PageDifference(1, None, f"its pages cannot be read ({exc})", "")
    theirs = _page_texts(expected)
    for p, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a == b:
            continue
        lines_a, lines_b = a.splitlines(), b.splitlines()
        for i in range(max(len(lines_a), len(lines_b))):
            la = lines_a[i] if i < len(lines_a) else ""
            lb = lines_b[i] if i < len(lines_b) else ""
            if la != lb:
                return PageDifference(p, i + 1, la, lb)
    if len(ours) != len(theirs):
        return PageDifference(
            min(len(ours), len(theirs)) + 1,
            None,
            f"the PDF has {len(ours)} pages, the re-rendering {len(theirs)}",
            "",
        )
    a_streams = _page_streams(PdfReader(io.BytesIO(printed)))
    b_streams = _page_streams(PdfReader(io.BytesIO(expected)))
    for p, (stream_a, stream_b) in enumerate(zip(a_streams, b_streams, strict=True), start=1):
        if stream_a != stream_b:
            return PageDifference(
                p, None, "the same words are drawn differently (position, font or graphics)", ""
            )
    return PageDifference(
        None, None, "the file differs in fonts, metadata or structure from the re-rendering", ""
    )

"""The fonts the PDF tally embeds, and text marked up so every script finds its glyphs.

The files live in ``audits/fonts/`` (see its README for their sources and licences): Noto Sans
(regular and bold) for Latin, Greek and Cyrillic text, Noto Sans Arabic for Arabic-script text
such as Urdu, and DejaVu Sans Mono for digests. Each is embedded (subset) in the PDF, so Polish,
Welsh or Urdu names print the same on every machine. Their SHA-256 digests are part of the
signed manifest (``rendering.fonts``), because the verifier re-renders the pages with them.

Arabic-script runs are shaped (joining forms, right-to-left order) by HarfBuzz through
reportlab; paragraphs without such text are laid out without shaping, so Latin-only pages do
not depend on HarfBuzz at all.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "BODY",
    "BOLD",
    "FONT_DIR",
    "FONT_FILES",
    "MONO",
    "font_digests",
    "has_rtl",
    "markup",
    "register_fonts",
    "text_width",
]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
BODY, BOLD, MONO = "NotoSans", "NotoSans-Bold", "DejaVuSansMono"
ARABIC, ARABIC_BOLD = "NotoSansArabic", "NotoSansArabic-Bold"
FONT_FILES: Mapping[str, str] = {
    BODY: "NotoSans-Regular.ttf",
    BOLD: "NotoSans-Bold.ttf",
    ARABIC: "NotoSansArabic-Regular.ttf",
    ARABIC_BOLD: "NotoSansArabic-Bold.ttf",
    MONO: "DejaVuSansMono.ttf",
}
# Arabic, Arabic Supplement, Arabic Extended-A, presentation forms A and B.
_RTL_RANGES = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
# Characters that stay inside an Arabic run when they sit between two Arabic letters.
_JOINERS = " \u200c\u200d\u060c\u061b\u061f"


def _is_rtl(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _RTL_RANGES)


def has_rtl(text: str) -> bool:
    """Return whether `text` holds Arabic-script letters (and so needs shaping)."""
    return any(_is_rtl(ch) for ch in text)


@functools.cache
def font_digests() -> dict[str, str]:
    """Return the SHA-256 of each embedded font file, by file name."""
    return {
        name: hashlib.sha256((FONT_DIR / name).read_bytes()).hexdigest()
        for name in sorted(FONT_FILES.values())
    }


@functools.cache
def register_fonts() -> None:
    """Register the embedded fonts with reportlab (once per process)."""
    for name, filename in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    for family, regular, bold in ((BODY, BODY, BOLD), (ARABIC, ARABIC, ARABIC_BOLD)):
        addMapping(family, 0, 0, regular)
        addMapping(family, 1, 0, bold)
        addMapping(family, 0, 1, regular)
        addMapping(family, 1, 1, bold)
    addMapping(MONO, 0, 0, MONO)
    addMapping(MONO, 1, 0, MONO)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _runs(text: str) -> list[tuple[bool, str]]:
    """Split text into (is Arabic script, text) runs; joiners between Arabic letters stay in."""
    runs: list[tuple[bool, str]] = []
    i, n = 0, len(text)
    while i < n:
        rtl = _is_rtl(text[i])
        j = i + 1
        while j < n:
            if _is_rtl(text[j]) == rtl:
                j += 1
                continue
            if rtl and text[j] in _JOINERS:
                k = j
                while k < n and text[k] in _JOINERS:
                    k += 1
                if k < n and _is_rtl(text[k]):
                    j = k
                    continue
            break
        runs.append((rtl, text[i:j]))
        i = j
    return runs


def markup(text: str, *, bold: bool = False) -> str:
    """Return reportlab paragraph markup for plain text, Arabic-script runs in their font."""
    out = []
    for rtl, run in _runs(text):
        if rtl:
            out.append(f'<font name="{ARABIC_BOLD if bold else ARABIC}">{_escape(run)}</font>')
        else:
            out.append(_escape(run))
    return "".join(out)


def text_width(text: str, size: float, *, bold: bool = False, mono: bool = False) -> float:
    """Return the width in points of one unbroken line of `text` (each run in its font)."""
    register_fonts()
    if mono:
        return float(pdfmetrics.stringWidth(text, MONO, size))
    total = 0.0
    for rtl, run in _runs(text):
        font = (ARABIC_BOLD if bold else ARABIC) if rtl else (BOLD if bold else BODY)
        total += pdfmetrics.stringWidth(run, font, size)
    return total

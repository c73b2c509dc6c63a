"""One-time access codes: batches of random codes, checked by salted hash, printed as slips.

Access codes carry 60 random bits, so a plain salted SHA-256 suffices and survives a key
rotation (unlike the voter roll's keyed hashes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import secrets
from collections.abc import Sequence
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.wording import plural
from decide.models import (
    AccessCode,
    AccessCodeBatch,
    Round,
    RoundEligibility,
)
from decide.services.eligibility import EligibilityError, VoterKey, settings_for
from decide.services.unit_of_work import transactional

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 12
MAX_BATCH = 2000


def normalise_code(code: str) -> str:
    """Return a typed access code in canonical letters without separators."""
    text = re.sub(r"[\s\-]", "", code).upper()
    return text.replace("I", "1").replace("L", "1").replace("O", "0")


def code_hash(round_id: int, code: str) -> str:
    """Return the stored hash of an access code."""
    data = f"decide/access-code/v1\x00{round_id}\x00{normalise_code(code)}".encode()
    return hashlib.sha256(data).hexdigest()


def format_code(raw: str) -> str:
    """Return a code in groups of four for printing."""
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@transactional
def generate_codes(
    session: Session, round_id: int, count: int, *, label: str, today: dt.date
) -> tuple[AccessCodeBatch, list[str]]:
    """Create a batch of one-time codes, commit, and return the codes (shown only now)."""
    if not 1 <= count <= MAX_BATCH:
        raise EligibilityError(f"A batch holds between 1 and {MAX_BATCH} codes.")
    label = label.strip() or f"Batch of {plural(count, 'code')}"
    from decide.services.register import has_roll

    if has_roll(session, round_id):
        raise EligibilityError(
            "This round has a voter roll: make codes for the people on it (by reference "
            "number), so that each code marks that person's place on the roll."
        )
    rnd = session.get(Round, round_id)
    if rnd is not None and rnd.ballot_locked and not settings_for(session, round_id).by_code:
        raise EligibilityError(
            "Voting has opened without access codes: who may vote cannot change now."
        )
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    batch = AccessCodeBatch(round_id=round_id, label=label[:120], size=count, created_on=today)
    session.add(batch)
    settings = session.get(RoundEligibility, round_id)
    if settings is None:
        settings = RoundEligibility(round_id=round_id, by_postcode=False, by_roll=False)
        session.add(settings)
    settings.by_code = True
    ordered = sorted(codes)
    batch.codes = [AccessCode(round_id=round_id, code_hash=code_hash(round_id, c)) for c in ordered]
    return batch, [format_code(c) for c in ordered]


def verify_code(session: Session, round_id: int, code: str) -> VoterKey:
    """Return the access-code voter's key for a valid code, else raise EligibilityError."""
    settings = settings_for(session, round_id)
    if not settings.by_code:
        raise EligibilityError("This round does not accept access codes.")
    code_id = session.scalar(
        select(AccessCode.id).where(
            AccessCode.round_id == round_id, AccessCode.code_hash == code_hash(round_id, code)
        )
    )
    if code_id is None:
        raise EligibilityError(
            "That access code is not valid for this round. Check it and try again."
        )
    return VoterKey("code", code_id)


def code_vote_url(vote_url: str, code: str) -> str:
    """Return the voting link with the access code filled in (what a slip's QR code holds)."""
    return f"{vote_url}?{urlencode({'code': code})}#by-code"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Split text into lines no wider than `width`; a word wider than a line is cut."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        # A web address longer than the line is cut where the line is full.
        while len(word) > 1 and stringWidth(word, font, size) > width:
            cut = 1
            while cut < len(word) and stringWidth(word[: cut + 1], font, size) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def _fit(
    text: str, font: str, width: float, height: float, sizes: Sequence[float]
) -> tuple[float, float, list[str]]:
    """Return (size, leading, lines) for the largest size whose wrapped text fits the box."""
    for size in sizes:
        lines = _wrap(text, font, size, width)
        if len(lines) * size * 1.18 <= height:
            return size, size * 1.18, lines
    size = sizes[-1]
    return size, size * 1.18, _wrap(text, font, size, width)


def access_code_pdf(
    round_title: str,
    label: str,
    codes: Sequence[str],
    *,
    vote_url: str,
    references: Sequence[str] | None = None,
) -> bytes:
    """Return a printable A4 PDF with one cut-out slip per access code.

    Each slip has the round's whole title (wrapped, smaller if it is long), the code, a QR code
    of `vote_url` with the code filled in (see `code_vote_url`), and one sentence saying what to
    do. The QR code is drawn as vector squares, so it prints sharp at any size.
    """
    import segno
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    # The PDF tally's embedded fonts, so a Welsh or Polish title prints as typed.
    from audits.typeface import BODY, BOLD, MONO, register_fonts

    register_fonts()

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Access codes: {round_title}")
    pdf.setAuthor("decide")
    pdf.setSubject("One-time voting codes")
    width, height = A4
    cols, rows = 2, 5
    card_w, card_h = (width - 20 * mm) / cols, (height - 20 * mm) / rows
    pad, qr_size = 5 * mm, 30 * mm
    inner_w = card_w - 2 * pad
    title_size, title_leading, title_lines = _fit(
        round_title.strip() or "Voting code", BOLD, inner_w, 15 * mm,
        (11, 10, 9, 8, 7, 6),
    )  # fmt: skip
    text_w = inner_w - qr_size - 5 * mm
    sentence = (
        f"To vote, scan the QR code, or go to {vote_url} and type this code: "
        "it works once, so keep it private."
    )
    total = len(codes)
    for index, code in enumerate(codes):
        slot = index % (cols * rows)
        if index and slot == 0:
            pdf.showPage()
        x = 10 * mm + (slot % cols) * card_w
        y = height - 10 * mm - (slot // cols + 1) * card_h
        top = y + card_h - pad
        pdf.setDash(3, 3)
        pdf.setStrokeGray(0.55)
        pdf.rect(x, y, card_w, card_h)
        pdf.setDash()
        pdf.setFillGray(0)
        # The round's whole title, wrapped.
        pdf.setFont(BOLD, title_size)
        cursor = top - title_size
        for line in title_lines:
            pdf.drawString(x + pad, cursor, line)
            cursor -= title_leading
        body_top = top - max(len(title_lines) * title_leading, 2 * title_leading) - 3.5 * mm
        # The QR code of the voting link with this code filled in, on the right, with white
        # space around it (the symbol's quiet zone) up to the card's edges.
        qr = segno.make(code_vote_url(vote_url, code), error="m")
        matrix = qr.matrix
        side = min(qr_size, body_top - y - 4 * mm)
        module = side / len(matrix)
        qx, qy = x + card_w - pad - side, body_top - side
        path = pdf.beginPath()
        for r, modules in enumerate(matrix):
            c = 0
            while c < len(modules):
                if modules[c]:
                    run = c
                    while run < len(modules) and modules[run]:
                        run += 1
                    path.rect(qx + c * module, qy + side - (r + 1) * module,
                              (run - c) * module, module)  # fmt: skip
                    c = run
                else:
                    c += 1
        pdf.drawPath(path, stroke=0, fill=1)
        # The code, then the one sentence saying what to do, on the left.
        pdf.setFont(BODY, 8)
        pdf.drawString(x + pad, body_top - 8, "Your one-time voting code:")
        pdf.setFont(MONO, 16)
        pdf.drawString(x + pad, body_top - 8 - 17, code)
        size, leading, lines = _fit(
            sentence, BODY, text_w, body_top - 8 - 17 - 4 * mm - (y + 7 * mm), (8, 7, 6)
        )
        pdf.setFont(BODY, size)
        cursor = body_top - 8 - 17 - 3.5 * mm - size
        for line in lines:
            pdf.drawString(x + pad, cursor, line)
            cursor -= leading
        pdf.setFont(BODY, 6.5)
        pdf.setFillGray(0.25)
        footer = f"{label} · code {index + 1} of {total}"
        if references is not None:
            # A code printed for a roll entry says whose it is: its use marks that entry.
            footer = f"For voter roll reference {references[index]} · {footer}"
        pdf.drawString(x + pad, y + 3 * mm, footer[:110])
    pdf.save()
    return buffer.getvalue()

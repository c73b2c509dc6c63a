"""Who may vote: postcode areas, voter rolls, one-time access codes and a minimum age.

A voter is named by a `VoterKey`: an account ("user:12"), a voter-roll entry ("roll:34") or an
access code ("code:56"). The participation mark records the register entry the key stands for
(decide.services.register: with a voter roll, every route marks a roll entry); it is never
stored next to a ballot.

Voter roll identities are stored as HMAC-SHA256 over the normalised reference number and date
of birth, keyed by the app's SECRET_KEY together with a random per-round salt. Without the
secret key a leaked table cannot be searched by trying every birth date. (Rotating SECRET_KEY
therefore invalidates uploaded rolls: upload them again.) Access codes carry 60 random bits,
so a plain salted SHA-256 suffices and survives a key rotation.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots.wording import plural
from decide.models import (
    AccessCode,
    AccessCodeBatch,
    PostcodeDistrict,
    Round,
    RoundEligibility,
    User,
    VoterRollEntry,
)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 12
MAX_BATCH = 2000
MAX_ROLL_ROWS = 200_000
_DISTRICT = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)")


class EligibilityError(Exception):
    """A voter may not vote in this round; the message says why in plain words."""


class RollError(Exception):
    """A voter roll upload was refused; `problems` lists each bad line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class VoterKey:
    """Who is voting: an account, a voter-roll entry or an access code, by row id."""

    kind: str
    id: int

    def __post_init__(self) -> None:
        if self.kind not in {"user", "roll", "code", "paper"}:
            raise ValueError(f"unknown voter kind {self.kind!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> VoterKey:
        """Return the key written as 'kind:id', or raise ValueError."""
        kind, _, ident = text.partition(":")
        if not ident.isdigit():
            raise ValueError(f"not a voter key: {text!r}")
        return cls(kind, int(ident))


# A paper ballot entered by an officer; its issued number and roll entry travel beside it
# (decide.services.register.PaperUse) and decide which register entry it marks.
PAPER_VOTER = VoterKey("paper", 0)


def settings_for(session: Session, round_id: int) -> RoundEligibility:
    """Return the round's eligibility settings (defaults when none are stored: postcode only)."""
    row = session.get(RoundEligibility, round_id)
    if row is None:
        row = RoundEligibility(round_id=round_id, by_postcode=True, by_roll=False, by_code=False)
    return row


def save_settings(
    session: Session,
    round_id: int,
    *,
    by_postcode: bool,
    by_roll: bool,
    by_code: bool,
    min_age: int | None,
) -> RoundEligibility:
    """Store the round's modes and minimum age, and commit."""
    if not (by_postcode or by_roll or by_code):
        raise EligibilityError("Choose at least one way for people to prove they may vote.")
    if min_age is not None and not 0 <= min_age <= 120:
        raise EligibilityError("The minimum age must be between 0 and 120.")
    row = session.get(RoundEligibility, round_id)
    rnd = session.get(Round, round_id)
    before = settings_for(session, round_id)
    wanted = (by_postcode, by_roll, by_code, min_age)
    if (
        rnd is not None
        and rnd.ballot_locked
        and (before.by_postcode, before.by_roll, before.by_code, before.min_age) != wanted
    ):
        raise EligibilityError(
            "Voting has opened: the ways to vote and the minimum age cannot change now."
        )
    if row is None:
        row = RoundEligibility(round_id=round_id)
        session.add(row)
    if (row.by_postcode, row.by_roll, row.by_code) != (by_postcode, by_roll, by_code):
        row.self_declared_ok = False  # the warning depends on the routes: confirm it again
    row.by_postcode, row.by_roll, row.by_code, row.min_age = wanted
    session.commit()
    return row


def postcode_district(postcode: str | None) -> str | None:
    """Return the outward code of a UK postcode ('ls7 3ab' -> 'LS7'), or None."""
    if not postcode:
        return None
    text = postcode.upper().strip()
    outward = text.split()[0] if " " in text else text[:-3] if len(text) > 4 else text
    match = _DISTRICT.match(outward)
    return match.group(1) if match else None


def area_of_postcode(session: Session, postcode: str | None) -> int | None:
    """Return the area id the postcode's district lies in, or None."""
    district = postcode_district(postcode)
    if district is None:
        return None
    return session.scalar(
        select(PostcodeDistrict.area_id).where(PostcodeDistrict.district == district)
    )


def postcode_outside_round(session: Session, rnd: Round, postcode: str | None) -> str | None:
    """Return why this postcode cannot vote in the round's areas, or None when it can."""
    area_id = area_of_postcode(session, postcode)
    names = ", ".join(sorted(a.name for a in rnd.areas))
    shown = (postcode or "").upper().strip()
    if area_id is None:
        return (
            f"We could not place {shown} in this round's areas ({names}). Check it, or ask "
            "the facilitator for an access code if you live here."
            if names
            else f"We could not place {shown} in any of our areas. Check it."
        )
    if rnd.areas and area_id not in {a.id for a in rnd.areas}:
        return f"{shown} is outside this round's areas ({names}), so this vote is not for it."
    return None


def age_on(born: dt.date, today: dt.date) -> int:
    """Return the age in whole years on `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_user(session: Session, rnd: Round, user: User, today: dt.date) -> None:
    """Raise EligibilityError unless the account may vote in the round by postcode."""
    settings = settings_for(session, rnd.id)
    if not settings.by_postcode:
        raise EligibilityError(
            "In this round you vote with your voter roll details or an access code, "
            "not with your account."
        )
    if not user.postcode:
        raise EligibilityError(
            "This round is for people who live in its areas. Add your postcode to your "
            "account, or ask the facilitator for an access code."
        )
    problem = postcode_outside_round(session, rnd, user.postcode)
    if problem:
        raise EligibilityError(f"{problem} You can change your postcode on your account page.")
    _check_age(settings, user.date_of_birth, today)


def _check_age(settings: RoundEligibility, born: dt.date | None, today: dt.date) -> None:
    if settings.min_age is None or settings.min_age == 0:
        return
    if born is None:
        raise EligibilityError(
            f"You must be {settings.min_age} or over to vote in this round. "
            "Add your date of birth to your account."
        )
    if age_on(born, today) < settings.min_age:
        raise EligibilityError(f"You must be {settings.min_age} or over to vote in this round.")


def check_voter(session: Session, rnd: Round, voter: VoterKey, today: dt.date) -> None:
    """Raise EligibilityError unless this voter may vote in the round."""
    settings = settings_for(session, rnd.id)
    if voter.kind == "user":
        user = session.get(User, voter.id)
        if user is None:
            raise EligibilityError("This account does not exist.")
        check_user(session, rnd, user, today)
    elif voter.kind == "roll":
        entry = session.get(VoterRollEntry, voter.id)
        if not settings.by_roll or entry is None or entry.round_id != rnd.id:
            raise EligibilityError("This round does not accept voting by voter roll.")
    elif voter.kind == "code":
        code = session.get(AccessCode, voter.id)
        if not settings.by_code or code is None or code.round_id != rnd.id:
            raise EligibilityError("This access code is not valid for this round.")
    elif voter.kind == "paper":
        return
    else:  # pragma: no cover - VoterKey refuses other kinds
        raise EligibilityError("Unknown kind of voter.")


# Voter roll -----------------------------------------------------------------------------


def normalise_reference(reference: str) -> str:
    """Return a reference number without spaces or hyphens, upper case."""
    return re.sub(r"[\s\-]", "", reference).upper()


def parse_birth_date(text: str) -> dt.date:
    """Read a date of birth written YYYY-MM-DD or DD/MM/YYYY, or raise ValueError."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def identity_hash(secret_key: str, salt: str, reference: str, born: dt.date) -> str:
    """Return the keyed hash that stands for one person on a voter roll."""
    key = hashlib.sha256(b"decide/roll/v1\x00" + secret_key.encode() + bytes.fromhex(salt))
    message = f"{normalise_reference(reference)}|{born.isoformat()}".encode()
    return hmac.new(key.digest(), message, hashlib.sha256).hexdigest()


class _RollReader:
    """A csv.reader over the roll whose unreadable line is a RollError, not a crash."""

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""))

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self) -> _RollReader:
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            line = self._reader.line_num + 1
            raise RollError([f"line {line}: cannot be read as CSV ({exc})"]) from None


def parse_roll(csv_text: str) -> list[tuple[str, dt.date]]:
    """Return the roll's people as (reference, date of birth), or raise RollError per bad line.

    A reference appears once: it names one person across uploads of the roll.
    """
    reader = _RollReader(csv_text)
    problems: list[str] = []
    people: list[tuple[str, dt.date]] = []
    seen: dict[str, int] = {}
    header = next(reader, None)
    if header is None:
        raise RollError(["line 1: the file is empty"])
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "reference" not in names or "date_of_birth" not in names:
        raise RollError(["line 1: the header must name the columns reference and date_of_birth"])
    ref_col, dob_col = names.index("reference"), names.index("date_of_birth")
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(ref_col, dob_col):
            problems.append(f"line {line}: expected {len(names)} columns, found {len(row)}")
            continue
        reference = normalise_reference(row[ref_col])
        if not reference:
            problems.append(f"line {line}: the reference is empty")
            continue
        try:
            born = parse_birth_date(row[dob_col])
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if reference in seen:
            problems.append(
                f"line {line}: repeats line {seen[reference]} (a reference appears once)"
            )
            continue
        seen[reference] = line
        people.append((reference, born))
        if len(people) > MAX_ROLL_ROWS:
            problems.append(f"line {line}: a roll holds at most {MAX_ROLL_ROWS} people")
            break
    if not people and not problems:
        problems.append("the file has a header but no people")
    if problems:
        raise RollError(problems[:50] + ([f"and {len(problems) - 50} more"] * (len(problems) > 50)))
    return people


def upload_roll(session: Session, round_id: int, csv_text: str, *, secret_key: str) -> int:
    """Store a voter roll CSV (reference, date_of_birth) hashed; all rows or none. Commit.

    A new upload keeps the people already on the roll (see decide.services.register).
    Return how many people the file lists.
    """
    from decide.services.register import store_roll

    return store_roll(session, round_id, parse_roll(csv_text), secret_key=secret_key).in_file


def roll_size(session: Session, round_id: int) -> int:
    """Return how many people are on the round's voter roll."""
    return (
        session.scalar(
            select(func.count())
            .select_from(VoterRollEntry)
            .where(VoterRollEntry.round_id == round_id)
        )
        or 0
    )


def verify_roll(
    session: Session,
    round_id: int,
    reference: str,
    born: dt.date,
    *,
    secret_key: str,
    today: dt.date,
) -> VoterKey:
    """Return the roll voter's key when reference and birth date match, else raise."""
    settings = settings_for(session, round_id)
    if not settings.by_roll or settings.roll_salt is None:
        raise EligibilityError("This round does not accept voting by voter roll.")
    digest = identity_hash(secret_key, settings.roll_salt, reference, born)
    entry_id = session.scalar(
        select(VoterRollEntry.id).where(
            VoterRollEntry.round_id == round_id, VoterRollEntry.identity_hash == digest
        )
    )
    if entry_id is None:
        raise EligibilityError(
            "We could not find that reference number and date of birth on the voter roll. "
            "Check both and try again."
        )
    _check_age(settings, born, today)
    return VoterKey("roll", entry_id)


# Access codes ---------------------------------------------------------------------------


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
    session.commit()
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

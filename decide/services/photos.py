"""Photos for progress updates and stories: checked, re-encoded, and stripped of metadata.

An upload is refused when it is larger than `MAX_UPLOAD_BYTES`, is not a JPEG, PNG or WebP
image, has more than `MAX_PIXELS` pixels (a decompression bomb: a small file that would
expand to gigabytes), or has no alt text. An accepted photo is turned upright (its EXIF
orientation applied), scaled so that its longer side is at most `MAX_SIDE` pixels, and saved
afresh as a baseline JPEG with no EXIF, GPS, ICC or comment data at all: only pixels survive.
The same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from decide.services.errors import DomainError
from decide.services.sanitise import visible_text

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 24 million pixels: a 6,000 × 4,000 camera photo. Larger ones cost too much to decode.
MAX_PIXELS = 24_000_000
MAX_SIDE = 1600
ALT_TEXT_MAX = 300
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP")  # MPO: a phone's two-image JPEG
CONTENT_TYPE = "image/jpeg"

__all__ = [
    "ALT_TEXT_MAX",
    "MAX_UPLOAD_BYTES",
    "PhotoRefused",
    "PhotoUpload",
    "PreparedPhoto",
    "prepare_photo",
]


class PhotoRefused(DomainError):
    """A photo that cannot be accepted; nothing of the update or story is stored."""


@dataclass(frozen=True)
class PhotoUpload:
    """A photo as uploaded: its bytes (read up to one byte past the limit), name and alt text."""

    data: bytes
    filename: str
    alt_text: str
    slot: int = 0  # its place on the form (1 to 4), so that a message names the right one


@dataclass(frozen=True)
class PreparedPhoto:
    """A re-encoded photo, ready to store."""

    data: bytes
    width: int
    height: int
    alt_text: str
    content_type: str = CONTENT_TYPE

    @property
    def sha256(self) -> str:
        """Return the SHA-256 of the stored bytes, in hex."""
        return hashlib.sha256(self.data).hexdigest()


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


# EXIF orientation -> the transposition that turns the picture upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}  # fmt: skip


def _open(data: bytes, label: str) -> Image.Image:
    """Open an image and decode it no larger than needed, refusing non-images and bombs.

    A JPEG (and an MPO, a phone's two-image JPEG, of which the first frame is kept) is decoded
    at a reduced scale (`draft`) when it is far larger than `MAX_SIDE`; any image is then
    scaled down once, before anything else touches its pixels.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRefused(f"{label} must be a JPEG, PNG or WebP image")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(
                    f"{label} is {image.width} × {image.height} pixels; the largest we accept "
                    f"is {MAX_PIXELS // 1_000_000} million pixels"
                )
            upright = _UPRIGHT.get(image.getexif().get(0x0112, 1))
            if image.format in ("JPEG", "MPO"):
                # Decode at 1/2, 1/4 or 1/8 scale, still no smaller than the size we keep.
                scale = min(1.0, MAX_SIDE / max(image.size))
                image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
            if upright is not None:
                image = image.transpose(upright)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(f"{label} has too many pixels to open safely") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PhotoRefused(f"{label} is not an image we can read (use JPEG, PNG or WebP)") from None
    return image


def prepare_photo(
    upload: PhotoUpload,
    label: str = "The photo",
    *,
    photo_field: str | None = None,
    alt_field: str | None = None,
) -> PreparedPhoto:
    """Check one uploaded photo and return it re-encoded without metadata, or raise.

    A refusal names `alt_field` when the alt text is at fault, else `photo_field`."""
    try:
        return _prepare(upload, label, alt_field)
    except PhotoRefused as error:
        error.field = error.field or photo_field
        raise


def _prepare(upload: PhotoUpload, label: str, alt_field: str | None) -> PreparedPhoto:
    alt = visible_text(" ".join(upload.alt_text.split()))
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise PhotoRefused(
            f"{label} is larger than {_megabytes(MAX_UPLOAD_BYTES)}; make it smaller and "
            "upload it again"
        )
    if not upload.data:
        raise PhotoRefused(f"{label} is empty")
    if not alt:
        raise PhotoRefused(
            f"Describe {label[0].lower()}{label[1:]} in its alt text, for people who cannot see it",
            field=alt_field,
        )
    if len(alt) > ALT_TEXT_MAX:
        raise PhotoRefused(
            f"The alt text of {label.lower()} must be {ALT_TEXT_MAX} characters or fewer",
            field=alt_field,
        )
    image = _open(upload.data, label)  # already upright and at most MAX_SIDE pixels a side
    try:
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            # A transparent PNG (a logo) goes on white: JPEG has no transparency, and converting
            # straight to RGB would put black text on black.
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, "white")
            image.paste(rgba, mask=rgba.getchannel("A"))
        image = image.convert("RGB")
        out = io.BytesIO()
        # A new image object carries no info dict: no EXIF, GPS, ICC profile or comment.
        clean = Image.new("RGB", image.size)
        clean.paste(image)
        clean.save(out, format="JPEG", quality=85, optimize=False, progressive=False)
    except (OSError, ValueError):
        raise PhotoRefused(f"{label} is not an image we can read (use JPEG, PNG or WebP)") from None
    return PreparedPhoto(out.getvalue(), clean.width, clean.height, alt)

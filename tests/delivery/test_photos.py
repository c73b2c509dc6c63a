"""Photos are re-encoded without any metadata; bad uploads are refused with a clear message."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from decide.services.photos import (
    MAX_UPLOAD_BYTES,
    PhotoRefused,
    PhotoUpload,
    prepare_photo,
)
from tests.delivery.conftest import jpeg_with_gps


def test_gps_and_every_exif_tag_are_gone_from_the_stored_bytes():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the input has GPS
    photo = prepare_photo(PhotoUpload(original, "a.jpg", "  Volunteers   at the shelf "))
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG" and (stored.width, stored.height) == (64, 48)
    assert dict(stored.getexif()) == {} and "exif" not in stored.info
    assert b"Exif" not in photo.data and b"Phone Maker" not in photo.data
    assert photo.alt_text == "Volunteers at the shelf"
    assert prepare_photo(PhotoUpload(original, "a.jpg", "x")).data == photo.data  # deterministic


def test_large_photos_are_scaled_down_and_turned_upright():
    image = Image.new("RGB", (3200, 1000), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="PNG", exif=exif)
    photo = prepare_photo(PhotoUpload(out.getvalue(), "wide.png", "A field"))
    assert (photo.width, photo.height) == (500, 1600)


@pytest.mark.parametrize(
    ("data", "alt", "message"),
    [
        (b"\xff" * (MAX_UPLOAD_BYTES + 1), "Alt", "larger than 10 MB"),
        (b"%PDF-1.7 not a photo", "Alt", "is not an image we can read"),
        (b"", "Alt", "is empty"),
        (jpeg_with_gps(), "   ", "alt text"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(data, alt, message):
    with pytest.raises(PhotoRefused, match=message):
        prepare_photo(PhotoUpload(data, "upload", alt))


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 million pixels, a few KB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(PhotoRefused, match="pixels"):
        prepare_photo(PhotoUpload(out.getvalue(), "bomb.png", "Bomb"))


def test_a_gif_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    with pytest.raises(PhotoRefused, match="JPEG, PNG or WebP"):
        prepare_photo(PhotoUpload(out.getvalue(), "a.gif", "Alt"))

"""The brand images Home Assistant 2026.3+ serves from the integration's folder."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

BRAND = Path(__file__).parents[2] / "custom_components" / "cosyvoice" / "brand"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path.name
    assert data[12:16] == b"IHDR", path.name
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("prefix", ["", "dark_"])
def test_icons_are_square_at_both_sizes(prefix: str) -> None:
    assert _png_size(BRAND / f"{prefix}icon.png") == (256, 256)
    assert _png_size(BRAND / f"{prefix}icon@2x.png") == (512, 512)


@pytest.mark.parametrize("prefix", ["", "dark_"])
def test_logos_are_landscape_within_the_brand_limits(prefix: str) -> None:
    width, height = _png_size(BRAND / f"{prefix}logo.png")
    assert 128 <= height <= 256
    assert width >= height
    width2, height2 = _png_size(BRAND / f"{prefix}logo@2x.png")
    assert 256 <= height2 <= 512
    assert abs(width2 - 2 * width) <= 2


def test_nothing_else_in_the_folder() -> None:
    names = {path.name for path in BRAND.iterdir()}
    expected = {
        f"{prefix}{kind}{size}.png"
        for prefix in ("", "dark_")
        for kind in ("icon", "logo")
        for size in ("", "@2x")
    }
    assert names == expected

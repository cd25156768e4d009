"""The check-in QR a phone camera reads: a regular version-1 QR at error level M or above, six pixels a module
with the four-module quiet zone, the same symbol in the mail's PNG and on the page's SVG."""

from __future__ import annotations

import re
import struct
import urllib.parse
import zlib

from booking.services.checkin_qr import qr_png, qr_svg_data_uri, qr_text

CODE = "ABCDEFGH"
SCALE, BORDER, VERSION_1 = 6, 4, 21  # pixels a module, quiet-zone modules, modules a side
# The first two format bits, after the format mask 101010000010010 is removed (ISO/IEC 18004, 7.9).
LEVELS = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}


def png_modules(data: bytes) -> tuple[int, list[list[bool]]]:
    """The PNG's width in pixels and its dark modules (1-bit greyscale, as segno writes it)."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = {}, 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        chunks[kind] = chunks.get(kind, b"") + data[at + 8:at + 8 + length]
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (width, depth, colour) == (height, 1, 0)
    raw, stride = zlib.decompress(chunks[b"IDAT"]), (width + 7) // 8
    rows, above = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # the PNG row filters, one byte a pixel group (PNG spec, 9.2)
            left, up, corner = line[i - 1] if i else 0, above[i], above[i - 1] if i else 0
            guess = {0: 0, 1: left, 2: up, 3: (left + up) // 2,
                     4: min((left, up, corner), key=lambda v: abs(left + up - corner - v))}[kind]
            line[i] = (line[i] + guess) & 0xFF
        rows.append(bytes(line))
        above = rows[-1]

    def dark(x: int, y: int) -> bool:
        return not rows[y][x // 8] >> (7 - x % 8) & 1

    side = width // SCALE - 2 * BORDER
    centre = [(BORDER + i) * SCALE + SCALE // 2 for i in range(side)]
    return width, [[dark(x, y) for x in centre] for y in centre]


def svg_modules(uri: str) -> tuple[str, str, list[list[bool]]]:
    """The SVG's width, its path's scale and the dark modules its path draws (segno's h/m path)."""
    prefix, _, quoted = uri.partition(",")
    assert prefix == "data:image/svg+xml;charset=utf-8"
    svg = urllib.parse.unquote(quoted)
    width = re.search(r"width='(\d+)'", svg).group(1)
    scale = re.search(r"transform='scale\((\d+)\)'", svg).group(1) if "scale(" in svg else "1"
    path = re.search(r" d='([^']*)'", svg).group(1)
    side = int(width) // int(scale) - 2 * BORDER
    modules = [[False] * side for _ in range(side)]
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(int(x), int(x) + int(a)):
                modules[int(y) - BORDER][column - BORDER] = True
            x += int(a)
    return width, scale, modules


def error_level(modules: list[list[bool]]) -> str:
    """The error-correction level a scanner reads from the format bits beside the top-left finder."""
    first_bits = [modules[8][0], modules[8][1]]
    return LEVELS[(first_bits[0] ^ 1) << 1 | first_bits[1]]


def test_the_qr_holds_the_code_as_shown():
    assert qr_text(CODE) == "ABCD-EFGH"


def test_the_mail_qr_is_a_regular_version_1_symbol_at_level_m_six_pixels_a_module_with_the_quiet_zone():
    width, modules = png_modules(qr_png(qr_text(CODE)))

    assert width == (VERSION_1 + 2 * BORDER) * SCALE  # a Micro QR (M3, 15 modules) would be narrower
    assert len(modules) == VERSION_1
    assert error_level(modules) in ("M", "Q", "H")  # segno raises M when the version has room


def test_the_page_qr_is_the_same_symbol_as_the_mail_qr_at_the_same_size():
    _, mailed = png_modules(qr_png(qr_text(CODE)))
    width, scale, shown = svg_modules(qr_svg_data_uri(qr_text(CODE)))

    assert (width, scale) == (str((VERSION_1 + 2 * BORDER) * SCALE), str(SCALE))
    assert shown == mailed

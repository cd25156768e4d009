"""The QR image of a check-in code: what the door page's camera reads.

The QR holds the code itself (`ABCD-EFGH`), as a regular QR code (never a Micro QR,
which phone cameras and BarcodeDetector do not read). Short text keeps it a version-1
symbol, cheap to make: a confirmation builds it inside the registration's transaction.
"""

from __future__ import annotations

import io

import segno

from booking.domain.checkin import display_code


def qr_text(code: str) -> str:
    """What a check-in QR holds: the code as shown."""
    return display_code(code)


def qr_png(text: str, scale: int = 6) -> bytes:
    """A PNG QR image of `text` (for the confirmation and reminder e-mails)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg_data_uri(text: str) -> str:
    """The QR of `text` as an SVG data: URI (an <img> on the registration page)."""
    return str(segno.make(text, error="m", micro=False).svg_data_uri(scale=6, border=4))

"""The QR image of a check-in code: what the door's camera (or any phone camera) reads.

The QR holds the staff door page's link with the code (`…/door?code=ABCD-EFGH`): the
door page's scanner takes the code out of it, and a staff phone's own camera app opens
the door page with the code filled in. Nobody else can use the link (staff only).
"""

from __future__ import annotations

import io

import segno

from booking.domain.checkin import display_code


def door_link(base_url: str, door_path: str, code: str) -> str:
    """The text a check-in QR holds: the door page's address with the code."""
    return f"{base_url.rstrip('/')}{door_path}?code={display_code(code)}"


def qr_png(text: str, scale: int = 8) -> bytes:
    """A PNG QR image of `text` (for the confirmation and reminder e-mails)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg_data_uri(text: str) -> str:
    """The QR of `text` as an SVG data: URI (an <img> on the registration page)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=6, border=4))

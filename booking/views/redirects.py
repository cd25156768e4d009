"""Where a `next` parameter may send the browser: a path of this site, or the home page.

OWASP ASVS 4.0.3 V5.1.5: redirects go only to allowed destinations. Browsers are more
forgiving than `urlsplit`: they drop tabs and newlines anywhere in a URL and read `\\`
as `/`, so `/\\t/evil.example` and `/\\evil.example` both mean `//evil.example`, another
site. So the rule is strict and simple: exactly one leading `/`, no backslash, nothing
that is not a printable character (controls, format characters, Unicode spaces), and no
scheme or host in what remains.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

MAX_NEXT_LENGTH = 2000


def local_path(target: object) -> str | None:
    """`target` when it is a path of this site ("/bookings?week=…"), else None."""
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if not target.isprintable():  # False for C0/C1 controls, format characters and every space but " "
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_next(target: object) -> str:
    """Where to go after a form that took `next`: the local path given, or the home page."""
    return local_path(target) or url_for("main.index")

"""What input the system accepts at all: the supported range of dates and numbers, and clean text.

Every value from a URL, a query string or a form is checked against these before
any rule sees it, so the rules (and the database, Python's `datetime`, iCalendar)
never meet a year 1 or 9999, a number past a column's size, or a control character
in a one-line title.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# The years the floor can be booked in: wide enough for any real booking, and far from
# the edges of `datetime` (years 1 and 9999), where converting to UTC or adding a day overflows.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)

# The largest value of a PostgreSQL INTEGER column (and of every id).
MAX_INTEGER = 2**31 - 1

# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators: none of them
# belongs in a one-line value (RFC 5545 §3.3.11 forbids the controls in TEXT; a line break
# in a mail header or a CSV cell splits the record).
# The explicit directional embeddings, overrides and isolates (Unicode UAX #9 §2; CVE-2021-42574,
# "Trojan Source") are refused too: they make a title or a mail subject read in another order
# than it is written, and Japanese and English text never needs them.
_LINE_BREAKS = "\n\r\u0085\u2028\u2029"
_NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# In multi-line text only line feeds stay; tabs become spaces and other controls go.
_DROPPED_FROM_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# Characters that show nothing on their own: separators (Z*), controls (Cc) and format characters
# (Cf: zero-width space and joiners, the directional marks, the byte order mark).
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
_ANY_NEWLINE = re.compile(r"\r\n|[\r\u0085\u2028\u2029]")


def is_supported_day(day: date) -> bool:
    """True when `day` lies within FIRST_DAY..LAST_DAY (inclusive)."""
    return FIRST_DAY <= day <= LAST_DAY


# A date as the pages write it in their links (ISO 8601's calendar date, ASCII digits only).
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def typed_day(text: str) -> date | None:
    """The YYYY-MM-DD date in `text`, or None when it holds none (2026-02-30, 2026-13-01, "tomorrow").

    Full-width digits and hyphens, as a Japanese IME types them (２０２６－０１－０１), and
    surrounding spaces are read as their ASCII forms (NFKC, as checkin.normalise_code reads codes).
    Whether the date is within FIRST_DAY..LAST_DAY is is_supported_day's question.
    """
    if len(text) > 40:  # ten characters and a few spaces at most; NFKC of a long text is work for nothing
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def is_single_line(text: str) -> bool:
    """True when `text` has no line break and no control character (TAB included)."""
    return _NOT_IN_A_LINE.search(text) is None


def has_visible_text(text: str) -> bool:
    """True when `text` has at least one character that shows something (not only spaces,
    zero-width or format characters): a title of U+200B alone is no title."""
    return any(unicodedata.category(char) not in _INVISIBLE_CATEGORIES for char in text)


def has_line_break(text: str) -> bool:
    return any(mark in text for mark in _LINE_BREAKS)


def clean_multiline(text: str) -> str:
    """Multi-line text as stored: every line break a LF, TAB a space, other controls dropped."""
    text = _ANY_NEWLINE.sub("\n", text).replace("\t", " ")
    return _DROPPED_FROM_TEXT.sub("", text)


def one_line(text: str) -> str:
    """A stored value that should be one line, shown safely: breaks become spaces, controls go.

    For values written before input was checked (or straight into the database);
    new input with a break or a control character is refused instead.
    """
    text = _ANY_NEWLINE.sub(" ", text).replace("\n", " ").replace("\t", " ")
    return _NOT_IN_A_LINE.sub("", text)

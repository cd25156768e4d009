"""Helpers for page tests: local days in Tokyo, week-grid cells, counting rows."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.domain.grid import week_start
from booking.extensions import db
from booking.models import Booking, BookingHold

TOKYO = ZoneInfo("Asia/Tokyo")
CELL_RE = re.compile(r'data-state="(\w+)" data-start="([^"]+)"')
FIELD_ERROR_RE = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)


def tokyo_today() -> date:
    return datetime.now(TOKYO).date()


def monday_ahead(weeks: int = 2) -> date:
    """The Monday of a week well in the future."""
    return week_start(tokyo_today() + timedelta(weeks=weeks))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=hour, minute=minute), TOKYO)


def cell_states(page: str) -> dict[str, str]:
    """The week grid of a page: local start 'YYYY-MM-DDTHH:MM' → state."""
    return {start: state for state, start in CELL_RE.findall(page)}


def form_errors(page: str) -> list[str]:
    """Every error shown on a form page: those of no field (said in the error summary only) and those next
    to fields (the summary's links to them are not counted again)."""
    from tests.summary_html import summary_items

    found = [text for target, text in summary_items(page) if not target]
    found += [html.unescape(text) for text in FIELD_ERROR_RE.findall(page)]
    return [" ".join(text.split()) for text in found]


def input_value(page: str, name: str) -> str | None:
    """The value a form input shows (unescaped), or None when it has none."""
    tag = re.search(rf'<(?:input|textarea)[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no field {name} on the page"
    if tag.group(0).startswith("<textarea"):
        body = re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
        return html.unescape(body.group(1).lstrip("\r\n")) if body else None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def written() -> tuple[int, int]:
    def count(model: type) -> int:
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)

    db.session.expire_all()
    return count(Booking), count(BookingHold)


@pytest.fixture
def empty_week_caches():
    """The kept week pages and week facts emptied before and after a test that reads them."""
    from booking.services import spaces
    from booking.views import week_grid

    week_grid.pages.clear()
    spaces.week_facts_cache.clear()
    yield
    week_grid.pages.clear()
    spaces.week_facts_cache.clear()

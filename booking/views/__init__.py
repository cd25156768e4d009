"""Blueprints: parse → authorise → one service call → render or redirect."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

# Primary keys are INTEGER columns (32-bit on PostgreSQL).
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in URLs: only ids a row can have, so a huge number is a 404, not a 500."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = MAX_DATABASE_ID, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)

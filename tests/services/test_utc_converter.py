"""booking.db.utc_result_converter: UTCDateTime's result processing, built once per dialect (issue 21)."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select, type_coerce
from sqlalchemy.types import NullType

from booking.db import utc_result_converter
from booking.extensions import db
from booking.models import Booking
from tests.conftest import future_day


def test_the_converter_is_built_once_per_dialect(app):
    assert utc_result_converter(db.engine.dialect) is utc_result_converter(db.engine.dialect)


def test_a_driver_value_becomes_the_aware_utc_instant_the_column_gives(create_user, create_space, create_booking):
    start = future_day(7) + timedelta(hours=1, microseconds=250)
    booking = create_booking(create_space(), create_user(), start, start + timedelta(hours=1))
    raw = db.session.execute(select(type_coerce(Booking.start_dt, NullType)).where(Booking.id == booking.id)).scalar()

    converted = utc_result_converter(db.engine.dialect)(raw)

    assert converted == start and converted.tzinfo is UTC
    assert utc_result_converter(db.engine.dialect)(None) is None

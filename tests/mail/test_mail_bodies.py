"""A booking mail's body is its template rendered once per shape with stand-ins, the texts written in
(notifications._body): the same text as rendering the template with them, for every kind."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from booking import itip
from booking.services import audit, notifications

START = datetime(2026, 12, 10, 1, tzinfo=UTC)
FACTS = notifications.Facts(
    booking_id=41, title="Open data study", start_dt=START, end_dt=START + timedelta(hours=1),
    timezone="Asia/Tokyo", space_ja="スタジオ", space_en="Studio", is_pooled=False, units=(1,),
    member_name="Mori Aki", member_org="NPO Hikari", purpose="Monthly meet-up",
)
SHAPES = [
    {},
    {"member_org": "", "purpose": ""},
    {"title": "100% %(name)s {{ x }} \\N 日本語、テスト", "member_name": "  Ann ", "purpose": "two\nlines"},
    {"is_pooled": True, "units": (3, 4)},
    {"is_pooled": True, "units": (7,), "proposed_start_dt": START + timedelta(days=1),
     "proposed_end_dt": START + timedelta(days=1, hours=2)},
]
NOTICES = [
    {}, {"note": "Please use the side door."}, {"note": audit.EXPIRED_NOTE}, {"by_staff": True},
    {"calendar": b"BEGIN:VCALENDAR", "method": itip.CANCEL}, {"calendar": b"BEGIN:VCALENDAR", "method": itip.REQUEST},
]


def rendered_in_full(monkeypatch, notice):
    with monkeypatch.context() as patched:
        patched.setattr(notifications, "_body", notifications._template_body)
        return notifications.render(notice)


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("kind", sorted(notifications.SUBJECTS))
def test_every_kind_reads_as_its_template_renders_it(app, monkeypatch, kind, locale):
    with app.test_request_context(), force_locale(locale):
        for facts in SHAPES:
            for extra in NOTICES:
                notice = notifications.Notice(kind=kind, facts=replace(FACTS, **facts), **extra,
                                              recipient=notifications.Recipient("m@example.jp", "Mori Aki", locale))
                for _ in range(2):  # the first renders the shape, the second reads it kept
                    assert notifications.render(notice) == rendered_in_full(monkeypatch, notice)


def test_each_mail_shows_its_own_booking_though_the_shape_is_kept(app):
    with app.test_request_context(), force_locale("en"):
        first = notifications.Notice(kind="confirmed", facts=FACTS,
                                     recipient=notifications.Recipient("a@example.jp", "Ann", "en"))
        second = replace(first, recipient=replace(first.recipient, name="Ben"),
                         facts=replace(FACTS, booking_id=42, title="Kick-off", start_dt=START + timedelta(days=1),
                                       end_dt=START + timedelta(days=1, hours=2)))
        one, other = notifications.render(first)[1], notifications.render(second)[1]
    assert "Dear Ann," in one and "Open data study" in one and "/bookings/41" in one
    assert "Dear Ben," in other and "Kick-off" in other and "/bookings/42" in other
    assert "Ann" not in other and "Open data study" not in other and "/bookings/41" not in other
    assert "Fri 11 Dec 2026" in other and "Thu 10 Dec 2026" in one


def test_a_template_reading_more_of_the_booking_is_rendered_in_full(app, monkeypatch):
    with app.test_request_context(), force_locale("en"):
        reading = app.jinja_env.from_string(
            "{{ facts.start_dt.year }} #{{ facts.booking_id }} {{ notice.recipient.name }}")
        monkeypatch.setattr(app.jinja_env, "get_template", lambda _name: reading)
        notifications._kept_bodies.clear()  # the shape of "updated" as the real template renders it
        notice = notifications.Notice(kind="updated", facts=FACTS,
                                      recipient=notifications.Recipient("a@example.jp", "Ann", "en"))
        assert notifications.render(notice)[1] == "2026 #41 Ann\n"
        assert notifications.render(replace(notice, facts=replace(FACTS, booking_id=7)))[1] == "2026 #7 Ann\n"
        assert len(notifications._kept_bodies) == 0
    notifications._kept_bodies.clear()


@pytest.mark.parametrize(("source", "field", "values"), [
    ("{{ notice.recipient.email }}", "email", ("a@example.jp", "b@example.jp")),
    ("{{ notice.note }}", "note", ("Side door", "Main door")),
    ("{{ notice.not_before }}", "not_before", (START, START + timedelta(minutes=5))),
    ("{{ notice.calendar.decode() }}", "calendar", (b"BEGIN:VCALENDAR A", b"BEGIN:VCALENDAR B")),
])
def test_a_template_reading_more_of_the_notice_is_rendered_in_full(app, monkeypatch, source, field, values):
    with app.test_request_context(), force_locale("en"):
        monkeypatch.setattr(app.jinja_env, "get_template", lambda _name: app.jinja_env.from_string(source))
        notifications._kept_bodies.clear()
        notice = notifications.Notice(kind="updated", facts=FACTS,
                                      recipient=notifications.Recipient("a@example.jp", "Ann", "en"))
        for value in values:
            changed = (replace(notice, recipient=replace(notice.recipient, email=value)) if field == "email"
                       else replace(notice, **{field: value}))
            shown = value.decode() if isinstance(value, bytes) else value
            assert notifications.render(changed)[1] == f"{shown}\n"
        assert len(notifications._kept_bodies) == 0
    notifications._kept_bodies.clear()


def test_a_template_may_ask_whether_the_mail_carries_a_calendar(app, monkeypatch):
    with app.test_request_context(), force_locale("en"):
        asking = app.jinja_env.from_string("{{ 'without' if notice.calendar is none else 'with' }}")
        monkeypatch.setattr(app.jinja_env, "get_template", lambda _name: asking)
        notifications._kept_bodies.clear()
        notice = notifications.Notice(kind="updated", facts=FACTS,
                                      recipient=notifications.Recipient("a@example.jp", "Ann", "en"))
        for _ in range(2):
            assert notifications.render(notice)[1] == "without\n"
            assert notifications.render(replace(notice, calendar=b"BEGIN:VCALENDAR"))[1] == "with\n"
    notifications._kept_bodies.clear()


def test_a_second_mail_of_the_same_shape_is_not_rendered_from_its_template_again(app, monkeypatch):
    rendered = []

    def counted(notice, texts):
        rendered.append(notice.kind)
        return notifications_template_body(notice, texts)

    notifications_template_body = notifications._template_body
    with app.test_request_context(), force_locale("en"):
        notifications._kept_bodies.clear()
        monkeypatch.setattr(notifications, "_template_body", counted)
        first = notifications.Notice(kind="confirmed", facts=FACTS,
                                     recipient=notifications.Recipient("a@example.jp", "Ann", "en"))
        notifications.render(first)
        other = notifications.render(replace(first, recipient=replace(first.recipient, name="Ben"),
                                             facts=replace(FACTS, booking_id=42, title="Kick-off")))[1]
    assert rendered == ["confirmed"] and "Dear Ben," in other and "Kick-off" in other
    notifications._kept_bodies.clear()


@pytest.mark.parametrize("kind", ["confirmed", "waiting"])
def test_one_notice_rendered_in_each_language_in_force_reads_as_its_template_renders_it(app, monkeypatch, kind):
    notice = notifications.Notice(kind=kind, facts=FACTS,
                                  recipient=notifications.Recipient("a@example.jp", "Ann", "en"))
    with app.test_request_context():
        notifications._kept_bodies.clear()
        for locale in ("ja", "en", "ja"):
            with force_locale(locale):
                assert notifications.render(notice) == rendered_in_full(monkeypatch, notice)
    notifications._kept_bodies.clear()


def test_each_request_to_approve_names_its_own_member_and_organisation(app):
    with app.test_request_context(), force_locale("en"):
        notifications._kept_bodies.clear()
        staff = notifications.Recipient("staff@example.jp", "Sato", "en")
        first = notifications.Notice(kind="waiting", facts=FACTS, recipient=staff)
        second = replace(first, facts=replace(FACTS, member_name="Ben Ito", member_org="Prefecture Lab"))
        one, other = notifications.render(first)[1], notifications.render(second)[1]
    assert "Requested by: Mori Aki (NPO Hikari)" in one
    assert "Requested by: Ben Ito (Prefecture Lab)" in other and "NPO Hikari" not in other
    notifications._kept_bodies.clear()

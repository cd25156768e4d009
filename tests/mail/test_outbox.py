"""The outbox: mail is recorded with its change, retried with backoff, failed for staff to retry, never lost."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from booking import delivery
from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking, OutboxMessage
from booking.services import outbox
from booking.services.bookings import BookingInput, request_booking
from booking.services.transactions import run_write
from tests.mail.conftest import DAY, calendars_of, free_port

START = DAY + timedelta(hours=1)


def book(member, space, title="Kick-off", hours=1):
    return request_booking(member, BookingInput(space.id, START, START + timedelta(hours=hours), title))


def messages():
    db.session.rollback()  # a fresh snapshot: delivery writes through its own session
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due(message_ids=None):
    """Time passes: every pending message is due again (its backoff or lease has run out)."""
    db.session.rollback()
    query = db.update(OutboxMessage).where(OutboxMessage.status == "pending")
    db.session.execute(query.values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


@outbox.renderer("test.broken")
def _broken(payload, locale):
    raise RuntimeError("the template is missing")


@pytest.fixture
def dead_port(app):
    """The mail server is down until the test points MAIL_PORT back at the live one."""
    live = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    return live


def test_a_refused_booking_records_no_message(app, inbox, create_user, create_space):
    studio, member = create_space(), create_user(locale="en")
    assert book(member, studio).ok

    assert not book(create_user(locale="en"), studio).ok

    assert [m.recipient for m in messages()] == [member.email]
    assert len(inbox.wait_for(1)) == 1


def test_a_message_rolls_back_with_its_transaction(app, inbox, create_user):
    member = create_user(locale="en")

    def enqueue_then_fail(session):
        outbox.enqueue(session, kind="booking.cancelled", to=member.email, locale="en", payload={})
        session.flush()
        raise LookupError("the change was refused after the mail was recorded")

    with pytest.raises(LookupError):
        run_write(None, enqueue_then_fail)

    assert messages() == []
    assert inbox.wait_for(1, timeout=0.5) == []


def test_an_unknown_kind_is_refused_when_it_is_enqueued(app, create_user):
    with pytest.raises(KeyError):
        run_write(None, lambda session: outbox.enqueue(session, kind="booking.typo", to="a@example.jp",
                                                       locale="ja", payload={}))


def test_a_mail_the_server_refused_is_sent_later_with_the_same_message_id(
        app, inbox, dead_port, create_user, create_space):
    studio, member = create_space(), create_user(locale="en")
    book(member, studio)
    [waiting] = messages()
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.due_at - utcnow() > timedelta(seconds=25)
    assert delivery.deliver_due(app) == 0  # backing off: not due yet

    app.config["MAIL_PORT"] = dead_port
    make_due()
    assert delivery.deliver_due(app) == 1

    [message] = inbox.wait_for(1)
    assert message["Message-ID"] == f"<{waiting.message_uuid}@floor.example.jp>"
    assert message["Subject"] == "Booking confirmed: Kick-off"
    [sent] = messages()
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")


def test_a_worker_that_died_after_sending_sends_again_under_the_same_message_id(
        app, inbox, create_user, create_space, monkeypatch):
    studio, member = create_space(), create_user(locale="en")
    kept = []
    with monkeypatch.context() as patched:  # the change commits, leased to this worker; nothing delivers yet
        patched.setattr(delivery, "kick", lambda app, ids, leased=(): kept.extend(leased))
        book(member, studio)
    [claimed] = kept
    delivery._send(app, [claimed])  # accepted by the server; the worker dies before settling

    assert delivery.deliver_due(app) == 0  # the lease still holds
    make_due()
    assert delivery.deliver_due(app) == 1

    first, second = inbox.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"]
    assert [m.status for m in messages()] == ["sent"]


def test_a_message_that_keeps_failing_is_shown_to_staff_who_can_send_it_again(
        app, client, inbox, dead_port, create_user, create_space):
    studio, member = create_space(), create_user(locale="en")
    staff = create_user(role="staff", locale="en")
    book(member, studio)
    for _attempt in range(outbox.MAX_ATTEMPTS - 1):
        make_due()
        delivery.deliver_due(app)
    [failed] = messages()
    assert (failed.status, failed.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert "Connection refused" in failed.last_error

    client.login(staff.email)
    page = client.get("/staff/mail").get_data(as_text=True)
    assert member.email in page and "Connection refused" in page and "Failed: 1" in page

    app.config["MAIL_PORT"] = dead_port
    response = client.submit(f"/staff/mail/{failed.id}/retry")

    assert response.status_code == 302
    [message] = inbox.wait_for(1)
    assert message["To"] == member.email
    assert [m.status for m in messages()] == ["sent"]
    assert "No message has failed." in client.get("/staff/mail").get_data(as_text=True)


def test_members_cannot_see_or_retry_the_outbox(client, create_user):
    client.login(create_user().email)

    assert client.get("/staff/mail").status_code == 403
    assert client.submit("/staff/mail/1/retry").status_code == 403


def test_a_retry_without_the_form_token_is_refused(app, client, create_user):
    client.login(create_user(role="staff").email)

    assert client.post("/staff/mail/1/retry").status_code == 400


def test_a_title_with_a_line_break_still_gets_its_mail_and_calendar(app, inbox, create_user, create_space):
    studio, member = create_space(), create_user(locale="en")
    # Stored rows may hold a line break from before input refused them (a hand-made POST).
    book(member, studio, title="Kick-off\r\nsecond line")

    [message] = inbox.wait_for(1)
    assert message["Subject"] == "Booking confirmed: Kick-off second line"
    [calendar] = calendars_of(message)
    parsed = icalendar.Calendar.from_ical(calendar.get_content())
    [event] = parsed.walk("VEVENT")
    assert "Kick-off" in str(event["SUMMARY"])
    assert [m.status for m in messages()] == ["sent"]


def test_a_mail_that_cannot_be_built_is_an_attempt_with_its_reason(app, inbox, create_user):
    member = create_user(locale="en")

    run_write(None, lambda session: outbox.enqueue(session, kind="test.broken", to=member.email,
                                                   locale="en", payload={}))

    [message] = messages()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "could not build: RuntimeError: the template is missing"
    assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)])
def test_the_backoff_doubles_from_thirty_seconds_up_to_an_hour(attempts, seconds):
    assert outbox.backoff(attempts) == timedelta(seconds=seconds)


def _stored(status, sent_at=None, attempts=0):
    row = OutboxMessage(kind="test.broken", recipient="someone@example.jp", locale="en", payload={}, attachments=[],
                        status=status, attempts=attempts, sent_at=sent_at)
    db.session.add(row)
    db.session.commit()
    return row.id


def test_forgetting_sent_mail_deletes_only_what_was_sent_before_the_cut(app):
    now = utcnow()
    old_sent = _stored("sent", now - timedelta(days=40))
    recent_sent = _stored("sent", now - timedelta(days=2))
    failed = _stored("failed", attempts=outbox.MAX_ATTEMPTS)

    assert run_write(None, lambda session: outbox.forget_sent(session, now - timedelta(days=30))) == 1

    assert old_sent not in [m.id for m in messages()]
    assert [m.id for m in messages()] == [recent_sent, failed]


def test_the_summary_counts_every_status_and_a_retry_starts_the_attempts_afresh(app):
    assert outbox.outbox_counts() == {"pending": 0, "sent": 0, "failed": 0}
    failed = _stored("failed", attempts=outbox.MAX_ATTEMPTS)
    _stored("sent", utcnow())
    assert outbox.outbox_counts() == {"pending": 0, "sent": 1, "failed": 1}
    now = utcnow()

    def put_back(session):
        assert outbox.retry(session, failed, now)
        row = session.get(OutboxMessage, failed)
        return row.status, row.attempts, row.due_at

    assert run_write(None, put_back) == ("pending", 0, now)  # all its attempts again, due at once
    sent = _stored("sent", now)
    assert not run_write(None, lambda session: outbox.retry(session, sent, now))  # only failed ones go back


def test_a_calendar_attachment_is_text_calendar_with_its_method_publish_unless_told():
    published = outbox.calendar_attachment(b"BEGIN:VCALENDAR")
    cancelled = outbox.calendar_attachment(b"BEGIN:VCALENDAR", "CANCEL")
    assert (published.filename, published.content_type) == ("booking.ics", "text/calendar")
    assert dict(published.params) == {"method": "PUBLISH", "charset": "utf-8"}
    assert dict(cancelled.params)["method"] == "CANCEL"


def test_a_new_message_has_no_error_recorded(app, create_user):
    member = create_user(locale="en")

    def enqueue_and_read(session):
        outbox.enqueue(session, kind="booking.cancelled", to=member.email, locale="en", payload={})
        session.flush()
        return session.scalars(db.select(OutboxMessage.last_error)).one()

    assert run_write(None, enqueue_and_read) == ""


def test_a_message_enqueued_for_later_has_had_no_attempt_yet(app, create_user):
    member = create_user(locale="en")
    later = utcnow() + timedelta(minutes=30)

    run_write(None, lambda session: outbox.enqueue(session, kind="booking.cancelled", to=member.email,
                                                   locale="en", payload={}, now=later))

    [message] = messages()
    assert (message.status, message.attempts, message.due_at) == ("pending", 0, later)


@pytest.mark.parametrize("attempts", [1, outbox.MAX_ATTEMPTS])
def test_a_failure_reason_is_kept_to_its_first_2000_characters(app, attempts):
    message_id = _stored("pending", attempts=attempts)

    run_write(None, lambda session: outbox.settle(session, {message_id: "x" * 2500}, utcnow()))

    assert len(db.session.get(OutboxMessage, message_id).last_error) == 2000


def test_a_failed_attempt_waits_the_first_backoff_the_caller_gives(app):
    message_id = _stored("pending", attempts=1)
    now = utcnow()

    run_write(None, lambda session: outbox.settle(session, {message_id: "refused"}, now, first=timedelta(minutes=5)))

    assert db.session.get(OutboxMessage, message_id).due_at == now + timedelta(minutes=5)

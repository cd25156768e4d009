"""A mail server that is down or slow never loses or holds up a booking; without one, mail is logged."""

from __future__ import annotations

import logging
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest

from booking import create_app, delivery
from booking.extensions import db
from booking.models import Booking, OutboxMessage
from booking.services.bookings import BookingInput, request_booking
from tests.mail.conftest import DAY, free_port, text_of

FORM = {"day": DAY.date().isoformat(), "start_time": "10:00", "end_time": "11:00", "title": "Kick-off"}


class TestADeadMailServer:
    @pytest.fixture
    def mail_config(self):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_BACKGROUND": False}

    def test_the_booking_is_stored_the_pages_answer_and_the_mail_waits_to_be_retried(
            self, client, caplog, create_user, create_space):
        create_space(slug="studio")
        member = create_user(locale="en")
        client.login(member.email)

        response = client.submit("/spaces/studio/book", FORM)

        assert response.status_code == 302
        booking = db.session.scalar(db.select(Booking))
        assert (booking.title, booking.status) == ("Kick-off", "confirmed")
        page = client.get(response.headers["Location"])
        assert page.status_code == 200 and "Your booking is confirmed." in page.get_data(as_text=True)
        [message] = db.session.scalars(db.select(OutboxMessage))
        assert (message.status, message.attempts) == ("pending", 1)
        assert "Connection refused" in message.last_error
        assert message.due_at > booking.created_at + timedelta(seconds=25)  # backed off, not hammering


class TestAMailServerThatNeverAnswers:
    @pytest.fixture
    def silent_port(self):
        with socket.socket() as listener:  # accepts connections, never greets
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            yield listener.getsockname()[1]

    @pytest.fixture
    def mail_config(self, silent_port):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": silent_port, "MAIL_TIMEOUT": 1, "MAIL_BACKGROUND": True}

    def test_the_page_answers_at_once_and_the_timeout_is_recorded(self, client, caplog, create_user, create_space):
        create_space(slug="studio")
        client.login(create_user(locale="en").email)

        started = time.monotonic()
        response = client.submit("/spaces/studio/book", FORM)
        answered_after = time.monotonic() - started

        assert response.status_code == 302
        assert answered_after < 0.9
        delivery.wait_for_sending()
        db.session.rollback()  # end the test's read snapshot, taken before the thread wrote
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 1
        [message] = db.session.scalars(db.select(OutboxMessage))
        assert message.status == "pending" and "timed out" in message.last_error


class TestSendingInTheBackground:
    @pytest.fixture
    def mail_config(self, mail_config):
        return {**mail_config, "MAIL_BACKGROUND": True}

    def test_the_mail_arrives(self, app, inbox, create_user, create_space):
        studio = create_space()
        member = create_user(locale="en")

        request_booking(member, BookingInput(studio.id, DAY + timedelta(hours=1), DAY + timedelta(hours=2), "Kick-off"))
        delivery.wait_for_sending()

        [message] = inbox.wait_for(1)
        assert message["To"] == member.email
        assert message["Subject"] == "Booking confirmed: Kick-off"

    def test_the_mail_of_several_bookings_is_recorded_as_sent_in_one_write(self, app, inbox, create_user,
                                                                          create_space, monkeypatch):
        # Profile line 'outbox.py(settle)': one more write transaction (on SQLite the database's
        # write lock and a flush to disk) after every booking POST; now the mail thread's rounds share one.
        from booking.services import outbox

        monkeypatch.setattr(delivery, "SETTLE_WITHIN_S", 60)  # only wait_for_sending ends the batch
        settled: list[list[int]] = []
        original = outbox.settle
        monkeypatch.setattr(outbox, "settle", lambda session, outcomes, *args: (
            settled.append(sorted(outcomes)), original(session, outcomes, *args))[1])
        studio = create_space()
        member = create_user(locale="en")

        for hour in (1, 3, 5):
            request_booking(member, BookingInput(studio.id, DAY + timedelta(hours=hour),
                                                 DAY + timedelta(hours=hour + 1), "Kick-off"))
        inbox.wait_for(3)
        delivery.wait_for_sending()

        db.session.rollback()  # end the test's read snapshot, taken before the thread wrote
        messages = list(db.session.scalars(db.select(OutboxMessage)))
        assert {m.status for m in messages} == {"sent"} and len(messages) == 3
        assert sorted(id_ for batch in settled for id_ in batch) == sorted(m.id for m in messages)
        assert len(settled) == 1


class TestWithoutAMailServer:
    @pytest.fixture
    def mail_config(self):
        return {}

    def test_tests_collect_the_mail_in_the_outbox(self, app, create_user, create_space):
        studio = create_space()
        member = create_user(locale="en")

        request_booking(member, BookingInput(studio.id, DAY + timedelta(hours=1), DAY + timedelta(hours=2), "Kick-off"))

        [message] = app.extensions["outbox"]
        assert message["To"] == member.email
        assert "Your booking is confirmed." in text_of(message)

    def test_the_mail_is_built_while_no_write_transaction_holds_the_lock(self, app, create_user, create_space,
                                                                        monkeypatch):
        # On SQLite every write transaction holds the database's write lock: building the mail
        # (templates, calendar) inside one made the next booking wait for it (issue 21).
        from booking.services import transactions

        holding = [0]
        seen: list[int] = []
        original_write, original_build = transactions.write_transaction, delivery._build

        @contextmanager
        def counted(space_id, **options):
            with original_write(space_id, **options) as session:
                holding[0] += 1
                try:
                    yield session
                finally:
                    holding[0] -= 1

        def build(*args, **kwargs):
            seen.append(holding[0])
            return original_build(*args, **kwargs)

        monkeypatch.setattr(transactions, "write_transaction", counted)
        monkeypatch.setattr(delivery, "_build", build)
        studio = create_space()
        member = create_user(locale="en")

        request_booking(member, BookingInput(studio.id, DAY + timedelta(hours=1), DAY + timedelta(hours=2), "Kick-off"))

        assert seen == [0]
        [message] = app.extensions["outbox"]
        assert "Your booking is confirmed." in text_of(message)
        assert db.session.scalar(db.select(OutboxMessage.status)) == "sent"

    def test_seeding_the_demo_data_sends_no_mail(self, app):
        from booking.demo import seed_demo

        assert seed_demo()["bookings"] > 0
        assert app.extensions["outbox"] == []

    def test_development_prints_the_whole_mail_to_the_log(
            self, app, database_url, tmp_path, caplog, create_user, create_space):
        development = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "dev", "DEBUG": True,
                                   "MAIL_SERVER": ""})
        development.instance_path = str(tmp_path)
        caplog.set_level(logging.INFO, logger="booking.mail")
        with development.app_context():
            studio = create_space(name_en="Studio")
            member = create_user(locale="en", email="hanako@example.jp", name="Hanako")
            start = DAY + timedelta(hours=1)
            assert request_booking(member, BookingInput(studio.id, start, start + timedelta(hours=1), "Kick-off")).ok
            delivery.wait_for_sending()  # written by the process's mail thread, as a server would be sent to
            db.session.remove()
            db.engine.dispose()

        [record] = [r for r in caplog.records if r.name == "booking.mail" and "To: hanako@example.jp" in r.getMessage()]
        assert record.levelno == logging.INFO
        text = record.getMessage()
        assert "Subject: Booking confirmed: Kick-off" in text
        assert "Dear Hanako," in text and "Space: Studio" in text
        assert "[attachment: booking.ics (text/calendar)]" in text

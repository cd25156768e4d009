"""The bytes `mail.compose` writes parse to the message `mail.build` makes (Japanese, English, hostile input)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from booking import mail

SENDER = "Floor booking <booking@floor.example.jp>"
ICS = ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:収録 — 🎥\r\nEND:VEVENT\r\n"
       "END:VCALENDAR\r\n").encode()
REQUEST = mail.Attachment("booking.ics", "text/calendar", ICS, (("method", "REQUEST"), ("charset", "utf-8")))
CANCEL = mail.Attachment("booking-12.ics", "text/calendar", ICS, (("method", "CANCEL"), ("charset", "utf-8")))
PNG = mail.Attachment("checkin-code.png", "image/png", bytes(range(256)) * 3)

DRAFTS = {
    "japanese with a calendar": mail.Mail(
        "taro@example.jp", "予約を確定しました: tsulunós スタジオ 12月7日（月）10:00–12:00 「収録」",
        "山田 太郎 様\n\nご予約を確定しました。\n\n日時: 12月7日（月）10:00–12:00\n", (REQUEST,)),
    "english with a cancellation": mail.Mail(
        "member@example.com", "Booking cancelled: studio, Monday 7 December 10:00–12:00",
        "Dear member,\n\nYour booking was cancelled.\n", (CANCEL,)),
    "ascii only, no attachment": mail.Mail("member@example.com", "Password reset", "Open this link:\nhttps://x/\n"),
    "hostile subject and body": mail.Mail(
        "member@example.com", "Hi\r\nBcc: evil@example.com \t tab\u3000wide " + "x" * 90,
        "line\r\nwindows\rmac\n.\n.dot\n--=_boundary\nFrom me\n" + "a" * 1200 + "\nno end"),
    "long ascii subject": mail.Mail("member@example.com", " ".join(["word"] * 40), ""),
    "empty body, qr image": mail.Mail("member@example.com", "チェックイン", "", (PNG, REQUEST)),
    "name with specials in To": mail.Mail('"Doe, John (ext)" <john@example.com>', "Hello", "Hello\n"),
    "non-ascii name in To (left to build)": mail.Mail("山田 太郎 <taro@example.jp>", "確認", "本文\n"),
    "non-ascii attachment name (left to build)": mail.Mail(
        "taro@example.jp", "確認", "本文\n", (mail.Attachment("予約.ics", "text/calendar", ICS, REQUEST.params),)),
}


def parsed(data: bytes) -> EmailMessage:
    """As a client stores it: "\n" line ends."""
    return email.message_from_bytes(data.replace(b"\r\n", b"\n"), policy=email.policy.default)  # type: ignore[return-value]


def summary(message: EmailMessage) -> dict[str, object]:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return {
        "headers": {name: str(message[name]) for name in ("From", "To", "Subject", "Message-ID", "MIME-Version")},
        "type": message.get_content_type(),
        "body": body.get_content(),
        "body type": (body.get_content_type(), body.get_content_charset()),
        "attachments": [(part.get_filename(), part.get_content_type(), dict(part.get_params() or [])["charset"]
                         if part.get_content_maintype() == "text" else None, part.get_param("method"),
                         part.get_content_disposition(), part.get_payload(decode=True))
                        for part in message.iter_attachments()],
    }


@pytest.mark.parametrize("sender", [SENDER, "no-reply@floor.example.jp", '"Floor, \\"Q\\" Inc." <a@floor.example.jp>'])
@pytest.mark.parametrize("case", sorted(DRAFTS))
def test_composed_bytes_parse_to_the_built_message(case: str, sender: str) -> None:
    draft = DRAFTS[case]
    composed = mail.compose(draft, sender, "<abc@floor.example.jp>")
    old = mail.build(draft, sender, "<abc@floor.example.jp>")
    data = composed.data or composed.message().as_bytes(policy=email.policy.SMTP)
    new = parsed(data)
    assert summary(new) == summary(parsed(old.as_bytes(policy=email.policy.SMTP))) == summary(old)
    assert summary(composed.message()) == summary(new)
    assert new["Date"].datetime is not None
    assert data.isascii() and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in data.split(b"\r\n") if not line.startswith((b"From:", b"To:")))
    assert set(new.keys()) >= {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}
    assert len(new.keys()) == len(set(new.keys()))  # Bcc or any other header could not be smuggled in
    assert (composed.fallback is None) == ("left to build" not in case)


def test_calendar_part_says_its_method_and_charset() -> None:
    new = parsed(mail.compose(DRAFTS["japanese with a calendar"], SENDER, "<a@b>").data)
    [part] = new.iter_attachments()
    assert part["Content-Type"].params == {"method": "REQUEST", "charset": "utf-8"}
    assert part.get_content() == ICS.decode()


@pytest.mark.parametrize("to", ["member@example.com\r\nBcc: evil@example.com", "member@example.com\nX: y"])
def test_a_line_break_in_an_address_is_refused_as_by_build(to: str) -> None:
    draft = mail.Mail(to, "Hello", "Hello\n")
    with pytest.raises(ValueError):
        mail.build(draft, SENDER)
    with pytest.raises(ValueError):
        mail.compose(draft, SENDER)


def test_the_log_reads_like_the_built_message() -> None:
    draft = DRAFTS["japanese with a calendar"]
    assert mail.compose(draft, SENDER, "<a@b>").readable() == mail.readable(mail.build(draft, SENDER, "<a@b>"))


def test_an_encoded_word_typed_in_a_title_reaches_the_member_as_typed() -> None:
    """`build` decoded it ("=?utf-8?b?SGk=?=" arrived as "Hi"); the composed subject keeps the text."""
    subject = "Recording =?utf-8?b?SGk=?= day"
    new = parsed(mail.compose(mail.Mail("member@example.com", subject, "x\n"), SENDER, "<a@b>").data)
    assert new["Subject"] == subject

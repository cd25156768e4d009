"""Demo data of SPEC §1: the 32nd-floor studio, hot desks and event hall."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from booking.dates import format_duration
from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking, OpeningPeriod, Space, User
from booking.services import accounts, notifications, public_events
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, request_booking
from booking.services.expiry import deadline_of

DEMO_PASSWORD = "floor-demo-2026"
# A seeded request waits at least this long before its deadline, so a fresh `make run` shows it pending.
DEADLINE_MARGIN = timedelta(hours=1)
DEMO_USERS = (
    ("member@example.jp", "山田 花子", "株式会社サンプル", "company", "member"),
    ("staff@example.jp", "佐藤 健", "県 デジタル推進課", "public", "staff"),
    ("admin@example.jp", "管理者", "県 デジタル推進課", "public", "admin"),
)
# Other members whose bookings fill the demo week (their logins are not printed).
OTHER_MEMBERS = (
    ("npo@example.jp", "鈴木 一郎", "NPO法人 まちづくりラボ", "npo", "member"),
    ("lab@example.jp", "高橋 美咲", "県立大学 情報科学研究室", "research", "member"),
)
WEEKDAYS = range(0, 5)

SPACES = (
    dict(
        slug="tsulunos", name_ja="tsulunós スタジオ", name_en="tsulunós studio", kind="exclusive",
        unit_count=1, slot_minutes=30, min_minutes=30, max_minutes=240, setup_minutes=30,
        teardown_minutes=30, requires_approval=True, min_notice_minutes=24 * 60, max_days_ahead=90,
        description_ja="ガラス張りの映像・配信スタジオ。"
        f"照明とカメラの準備に前後{format_duration(30, 'ja')}を確保します。収録は見学ホールからご覧いただけます。",
        description_en=f"A glass-walled video and broadcast studio. {format_duration(30, 'en')} before and after "
        "each booking are kept for lights and cameras. Visitors can watch recordings through the glass.",
        hours={d: [(time(9), time(21))] for d in WEEKDAYS},
    ),
    dict(
        slug="netsugen-desks", name_ja="NETSUGEN ホットデスク", name_en="NETSUGEN hot desks",
        kind="pooled", unit_count=24, slot_minutes=30, min_minutes=60, max_minutes=540,
        requires_approval=False, max_days_ahead=30,
        description_ja="デジタルでアイデアをサービスにしたい方のための共創スペース。フリーデスク24台を予約できます。",
        description_en="A public–private co-creation space for turning ideas into services "
        "with digital tools: 24 hot desks.",
        hours={**{d: [(time(9), time(12)), (time(13), time(20))] for d in WEEKDAYS},
               5: [(time(10), time(17))]},
    ),
    dict(
        slug="netsugen-hall", name_ja="NETSUGEN イベントホール", name_en="NETSUGEN event hall",
        kind="exclusive", unit_count=1, slot_minutes=15, min_minutes=60, max_minutes=600, max_people=80,
        setup_minutes=60, teardown_minutes=60, requires_approval=True, min_notice_minutes=3 * 24 * 60,
        max_days_ahead=180,
        description_ja="トークイベント、ミートアップ、キックオフに使えるホール。"
        f"前後{format_duration(60, 'ja')}の準備・片付け時間を含みます。",
        description_en=f"A hall for talks, meet-ups and kick-off events. {format_duration(60, 'en')} before "
        "and after each event are kept for setting up and clearing up.",
        hours={**{d: [(time(9), time(21))] for d in WEEKDAYS}, 5: [(time(10), time(18))]},
    ),
)

TITLES = {
    "tsulunos": ["県政番組 収録", "施策紹介動画 撮影", "ライブ配信リハーサル", "インタビュー収録"],
    "netsugen-desks": ["作業", "プロトタイプ開発", "データ分析", "打ち合わせ準備"],
    "netsugen-hall": ["キックオフイベント", "オープンデータ勉強会", "ミートアップ", "スタートアップ交流会"],
}


def _ensure_users() -> list[User]:
    users = []
    for email, name, org, kind, role in DEMO_USERS + OTHER_MEMBERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_account(accounts.Registration(
                email=email, password=DEMO_PASSWORD, name=name, organisation=org,
                org_kind=kind, role=role,
            ))
        users.append(user)
    return users


def _ensure_spaces() -> list[Space]:
    spaces = []
    for spec in SPACES:
        fields = dict(spec)
        hours = fields.pop("hours")
        space = db.session.scalar(select(Space).where(Space.slug == fields["slug"]))
        if space is None:
            space = Space(**fields)
            for weekday, periods in hours.items():
                for open_time, close_time in periods:
                    space.opening_hours.append(
                        OpeningPeriod(weekday=weekday, open_time=open_time, close_time=close_time)
                    )
            db.session.add(space)
            db.session.commit()
        spaces.append(space)
    return spaces


def _seed_bookings(spaces: list[Space], members: list[User], staff: User, today: date) -> int:
    rng = random.Random(32)
    made = 0
    for offset in range(-14, 22):
        day = today + timedelta(days=offset)
        for space in spaces:
            zone = ZoneInfo(space.timezone)
            for _ in range(3 if space.is_pooled else 1):
                hour = rng.choice([10, 13, 15, 17])
                start = datetime.combine(day, time(hour), zone)
                length = timedelta(hours=rng.choice([1, 2]))
                data = BookingInput(
                    space_id=space.id, start_dt=start, end_dt=start + length,
                    title=rng.choice(TITLES.get(space.slug, ["予約"])),
                    seats=rng.choice([1, 2, 4]) if space.is_pooled else 1,
                    attendees=rng.choice([1, 5, 20]), is_public=rng.random() < 0.5,
                )
                member = rng.choice(members)
                requested = _requested_at(start, rng)
                outcome = request_booking(member, data, now=requested)
                if outcome.booking is not None:
                    made += 1
                    # Requests already in the past were decided long ago; upcoming ones may wait,
                    # but only while their deadline (issue 14) is ahead, or the job runner expires them at once.
                    is_past = offset < 0
                    is_late = deadline_of(outcome.booking) <= utcnow() + DEADLINE_MARGIN
                    if outcome.booking.status == "pending" and (is_past or is_late or rng.random() < 0.7):
                        _approve(staff, outcome.booking, requested, rng)
    return made


def _requested_at(start: datetime, rng: random.Random) -> datetime:
    """When a demo booking was asked for (UTC): five days before it starts, or, for one starting
    within five days from now, a few hours to three days ago; never after now."""
    return min(start.astimezone(UTC) - timedelta(days=5), utcnow() - timedelta(minutes=rng.randint(60, 72 * 60)))


KICK_OFF_AGENDA = (
    # (start, minutes, title ja, title en, speakers)
    (time(17, 0), 20, "開会セレモニー（協定締結・記念撮影・ビデオメッセージ）",
     "Opening ceremony (signing, photos, video greetings)", ""),
    (time(17, 20), 50, "トークセッション：4市町のオフィス長が語る", "Talk: the four office heads",
     "各市町サテライトオフィス長"),
    (time(18, 15), 30, "交流会", "Meet-up", ""),
)


def _next_tuesday(today: date) -> date:
    ahead = (1 - today.weekday()) % 7
    return today + timedelta(days=ahead if ahead >= 4 else ahead + 7)


def _seed_kick_off(hall: Space, host: User, today: date) -> None:
    """The Tuesday 17:00–18:45 kick-off of four municipalities' satellite offices, as a public event."""
    zone = ZoneInfo(hall.timezone)
    day = _next_tuesday(today)
    start = datetime.combine(day, time(17), zone)
    data = BookingInput(space_id=hall.id, start_dt=start, end_dt=datetime.combine(day, time(18, 45), zone),
                        title="サテライトオフィス合同キックオフ", attendees=60, is_public=True)
    requested = _requested_at(start, random.Random(19))
    outcome = request_booking(host, data, now=requested)
    if outcome.booking is None:
        return
    if outcome.booking.status == "pending":
        _approve(host, outcome.booking, requested, random.Random(19))
    now = utcnow()
    agenda = tuple(public_events.AgendaInput(datetime.combine(day, at, zone), minutes, title_ja, title_en, who)
                   for at, minutes, title_ja, title_en, who in KICK_OFF_AGENDA)
    public_events.save_event(host, outcome.booking.id, public_events.EventInput(
        title_ja="4市町サテライトオフィス 合同キックオフ", title_en="Joint kick-off of four municipalities' "
        "satellite offices",
        description_ja="4つの市町がこのフロアにサテライトオフィスを開設します。協定締結とトーク、交流会を行います。"
        "参加無料・事前申込制、当日参加も歓迎します。",
        description_en="Four municipalities open satellite offices on this floor: a signing, a talk and a "
        "meet-up. Free of charge; please register beforehand; walk-ins welcome on the day.",
        organiser="4市町合同（県 デジタル推進課 協力）", capacity=60, fee_ja="無料", fee_en="Free",
        registration_opens_at=now - timedelta(days=1), registration_closes_at=start,
        accepts_walk_ins=True, agenda=agenda), now=now)


def _approve(staff: User, booking: Booking, requested: datetime, rng: random.Random) -> None:
    """Staff approve the request through the service, one to thirty hours after it came in (never
    after now), so the trail and the usage figures' decision times read like real use."""
    decided = min(requested + timedelta(minutes=rng.randint(60, 30 * 60)), utcnow() - timedelta(minutes=1))
    staff_service.approve(staff, booking.id, now=decided)


def _settle_change_times(spaces: list[Space]) -> None:
    """Pull the spaces' feed change times back to the clock after the seeding burst.

    Changes of one space are at least a second apart (booking.services.feed_events),
    so seeding a few weeks at once leaves the change time minutes ahead. No feed has
    shown these bookings yet, so the clock is still later than anything served.
    """
    now = utcnow()
    for space in spaces:
        db.session.refresh(space)
        if space.feed_changed_at is not None and space.feed_changed_at > now:
            space.feed_changed_at = now
    db.session.commit()


def seed_demo(today: date | None = None) -> dict[str, int]:
    """Create the demo spaces, accounts and a few weeks of bookings; safe to run twice."""
    users = _ensure_users()
    spaces = _ensure_spaces()
    made = 0
    if not db.session.scalar(select(func.count()).select_from(Booking)):
        today = today or utcnow().astimezone(ZoneInfo("Asia/Tokyo")).date()
        with notifications.muted():  # demo accounts need no "booking confirmed" mail
            members = [u for u in users if u.role == "member"]
            hall = next(space for space in spaces if space.slug == "netsugen-hall")
            staff = next(user for user in users if user.role == "staff")
            _seed_kick_off(hall, staff, today)  # first, so the random bookings leave its slot free
            made = _seed_bookings(spaces, members, staff, today) + 1
        _settle_change_times(spaces)
    return {"users": len(users), "spaces": len(spaces), "bookings": made}

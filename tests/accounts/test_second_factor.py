"""Admins' TOTP (ASVS V2.7/V2.8, V2.6 recovery codes): enrolment, codes used once, reset never bypasses it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from urllib.parse import unquote

import pyotp
import pytest
import segno
from sqlalchemy import select

from booking.domain.totp import time_step
from booking.extensions import db
from booking.models import AccountToken, User
from booking.services import second_factor
from tests.accounts.conftest import NEW_PASSWORD, link_in
from tests.conftest import PASSWORD, TOTP_SECRET, totp_code

CODES_RE = re.compile(r"<li><code>([a-z2-7-]+)</code></li>")


def password_step(client, email: str, password: str = PASSWORD):
    return client.submit("/login", {"email": email, "password": password})


def signed_in(client) -> bool:
    return client.get("/bookings").status_code == 200


def test_an_admin_needs_the_code_after_the_password(client, create_user):
    admin = create_user(role="admin")
    response = password_step(client, admin.email)
    assert response.headers["Location"] == "/login/code"
    assert not signed_in(client)
    assert client.get("/staff/requests").status_code == 302
    assert client.submit("/login/code", {"code": totp_code(admin.email)}).status_code == 302
    assert signed_in(client)


def test_a_member_is_not_asked_for_a_code(client, create_user):
    assert client.login(create_user().email).headers["Location"] == "/"


def test_a_code_is_accepted_only_once(app, client, create_user):
    admin = create_user(role="admin")
    code = totp_code(admin.email)
    password_step(client, admin.email)
    assert client.submit("/login/code", {"code": code}).status_code == 302
    thief = app.test_client()
    password_step(thief, admin.email)
    replay = thief.submit("/login/code", {"code": code})
    assert replay.status_code == 401
    assert not signed_in(thief)


def test_a_wrong_code_is_refused_and_guessing_meets_the_limit(client, create_user):
    admin = create_user(role="admin")
    password_step(client, admin.email)
    codes = [client.submit("/login/code", {"code": f"{n:06d}"}).status_code for n in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429


def test_a_recovery_code_signs_in_once(client, create_user):
    admin = create_user(role="admin", totp_secret=None)
    client.login(admin.email)
    codes = enrol(client, admin.email)
    client.submit("/logout")
    password_step(client, admin.email)
    assert client.submit("/login/code", {"code": codes[0].upper()}).status_code == 302
    client.submit("/logout")
    password_step(client, admin.email)
    assert client.submit("/login/code", {"code": codes[0]}).status_code == 401


def enrol(client, email: str) -> list[str]:
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.submit("/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 422
    done = client.submit("/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = CODES_RE.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return codes


def test_an_admin_without_an_authenticator_is_sent_to_set_one_up(client, create_user):
    admin = create_user(role="admin", totp_secret=None)
    client.login(admin.email)
    for page in ("/staff/requests", "/bookings", "/"):
        assert client.get(page).headers["Location"] == "/account/two-factor"
    codes = enrol(client, admin.email)
    assert client.get("/staff/requests").status_code == 200
    stored = db.session.scalars(select(AccountToken.token_hash).where(AccountToken.purpose == "recovery")).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret


def test_the_replayed_enrolment_code_cannot_sign_in(client, create_user, app):
    admin = create_user(role="admin", totp_secret=None)
    client.login(admin.email)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    code = pyotp.TOTP(secret).now()
    client.submit("/account/two-factor", {"code": code})
    other = app.test_client()
    password_step(other, admin.email)
    if time_step(time.time()) == time_step(time.time() + 0.5):  # same step: the code is still fresh
        assert other.submit("/login/code", {"code": code}).status_code == 401


def test_a_password_reset_never_skips_the_code(client, inbox, create_user):
    admin = create_user(role="admin")
    client.submit("/password/forgot", {"email": admin.email})
    link = link_in(inbox.wait_for(1)[0])
    client.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert not signed_in(client)
    assert password_step(client, admin.email, NEW_PASSWORD).headers["Location"] == "/login/code"
    assert not signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret == TOTP_SECRET


def test_replacing_an_authenticator_needs_the_password_and_a_current_code(client, create_user):
    admin = create_user(role="admin")
    password_step(client, admin.email)
    client.submit("/login/code", {"code": totp_code(admin.email)})
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'name="current_code"' in page and 'name="password"' in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)

    session_only = client.submit("/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    wrong_password = client.submit("/account/two-factor", {
        "code": pyotp.TOTP(secret).now(), "current_code": pyotp.TOTP(TOTP_SECRET).now(), "password": "not it"})

    assert session_only.status_code == 422 and wrong_password.status_code == 422
    assert "現在のパスワードが正しくありません" in wrong_password.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret == TOTP_SECRET
    assert not db.session.scalars(select(AccountToken.id).where(AccountToken.purpose == "recovery")).all()

    recovery_free = client.submit("/account/two-factor", {
        "code": pyotp.TOTP(secret).now(), "current_code": "abcde-abcde-abcde-abcde-abcde", "password": PASSWORD})
    assert recovery_free.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret == TOTP_SECRET

    done = client.submit("/account/two-factor", {
        "code": pyotp.TOTP(secret).now(), "current_code": totp_code(admin.email), "password": PASSWORD})
    assert done.status_code == 200 and len(CODES_RE.findall(done.get_data(as_text=True))) == 10
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret == secret


def test_a_wrong_enrolment_code_is_refused_with_the_advice_and_nothing_is_stored(app, create_user):
    member = create_user()
    secret = pyotp.random_base32()
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    with pytest.raises(second_factor.WrongCode) as refused:
        second_factor.enrol(member, secret, wrong, time.time())
    assert refused.value.message == "This code is not right. Check the time on your phone and try the newest code."
    db.session.expire_all()
    assert db.session.get(User, member.id).totp_secret is None


def test_recovery_codes_left_counts_only_the_accounts_own_unused_codes(app, create_user):
    first, second = create_user(), create_user()
    codes = {}
    for user in (first, second):
        secret = pyotp.random_base32()
        codes[user.id] = second_factor.enrol(user, secret, pyotp.TOTP(secret).now(), time.time())
    count = len(codes[first.id])
    assert second_factor.recovery_codes_left(first) == second_factor.recovery_codes_left(second) == count

    assert second_factor.check(first.id, codes[first.id][0], time.time()) is not None

    assert (second_factor.recovery_codes_left(first), second_factor.recovery_codes_left(second)) == (count - 1, count)


def test_a_deactivated_account_signs_in_with_neither_a_code_nor_a_recovery_code(app, create_user):
    member = create_user()
    secret = pyotp.random_base32()
    earlier = time.time() - 30  # enrolled with the previous code, so the current one is still unused
    [recovery, *_rest] = second_factor.enrol(member, secret, pyotp.TOTP(secret).at(earlier), earlier)
    stored = db.session.get(User, member.id)
    stored.is_enabled = False
    db.session.commit()

    assert second_factor.check(member.id, pyotp.TOTP(secret).now(), time.time()) is None
    assert second_factor.check(member.id, recovery, time.time()) is None


def test_a_recovery_code_signs_in_only_the_account_it_was_made_for(app, create_user):
    first, second = create_user(), create_user()
    codes = {}
    for user in (first, second):
        secret = pyotp.random_base32()
        codes[user.id] = second_factor.enrol(user, secret, pyotp.TOTP(secret).now(), time.time())

    assert second_factor.check(second.id, codes[first.id][0], time.time()) is None
    assert second_factor.recovery_codes_left(first) == len(codes[first.id])  # not used up by the attempt
    assert second_factor.check(first.id, codes[first.id][0], time.time()) is not None


# A fixed instant: codes are made for it and the ones after, so no test waits for the clock.
AT = 1_790_000_010.0
AT_TIME = datetime.fromtimestamp(AT, UTC)


def enrolled_at(user: User, at: float = AT) -> tuple[str, list[str]]:
    """Enrol a new authenticator with its code of `at`; (its secret, the recovery codes)."""
    secret = pyotp.random_base32()
    codes = second_factor.enrol(user, secret, pyotp.TOTP(secret).at(at), at, datetime.fromtimestamp(at, UTC))
    return secret, codes


def test_one_code_period_signs_in_two_admins_each_with_their_own_code(app, create_user):
    """Using a step is recorded for the account that used it only."""
    first, second = create_user(role="admin", totp_secret=None), create_user(role="admin", totp_secret=None)
    secrets_ = {user.id: enrolled_at(user)[0] for user in (first, second)}
    later = AT + 30
    for user in (first, second):
        assert second_factor.check(user.id, pyotp.TOTP(secrets_[user.id]).at(later), later) is not None


def test_a_code_used_by_another_request_after_this_one_read_the_account_is_refused(app, create_user):
    """Two requests with one code at once: both read the account before either stored the step.

    The first stores it; the second's guarded UPDATE finds the step already stored and refuses.
    """
    from sqlalchemy.orm.attributes import set_committed_value

    admin = create_user(role="admin", totp_secret=None)
    secret, _codes = enrolled_at(admin)
    enrolled_step = time_step(AT)
    later = AT + 30
    code = pyotp.TOTP(secret).at(later)
    assert second_factor.check(admin.id, code, later) is not None  # the other request, first

    stale = db.session.get(User, admin.id)
    db.session.refresh(stale)
    set_committed_value(stale, "totp_last_step", enrolled_step)  # what this request read before that
    assert second_factor.check(admin.id, code, later) is None


def test_replacing_the_authenticator_makes_the_old_recovery_codes_stop_working(app, create_user):
    admin = create_user(role="admin", totp_secret=None)
    old_secret, old_codes = enrolled_at(admin)
    later = AT + 60
    new_secret = pyotp.random_base32()
    new_codes = second_factor.enrol(db.session.get(User, admin.id), new_secret, pyotp.TOTP(new_secret).at(later),
                                    later, AT_TIME, current_code=pyotp.TOTP(old_secret).at(later), password=PASSWORD)
    assert second_factor.recovery_codes_left(admin) == len(new_codes)
    assert second_factor.check(admin.id, old_codes[0], later) is None
    assert second_factor.check(admin.id, new_codes[0], later) is not None


def test_the_recovery_codes_are_recorded_as_made_at_the_enrolment(app, create_user):
    member = create_user()
    enrolled_at(member)
    made = db.session.scalars(select(AccountToken.created_at).where(AccountToken.purpose == "recovery")).all()
    assert len(made) == second_factor.RECOVERY_CODE_COUNT and set(made) == {AT_TIME}


def test_a_wrong_password_when_replacing_the_authenticator_is_reported_at_the_password_field(app, create_user):
    admin = create_user(role="admin", totp_secret=None)
    old_secret, _codes = enrolled_at(admin)
    later, new_secret = AT + 60, pyotp.random_base32()
    with pytest.raises(second_factor.WrongCode) as refused:
        second_factor.enrol(db.session.get(User, admin.id), new_secret, pyotp.TOTP(new_secret).at(later), later,
                            current_code=pyotp.TOTP(old_secret).at(later), password="not the password")
    assert (refused.value.field, refused.value.message) == ("password", "The current password is wrong.")


def test_a_wrong_current_code_when_replacing_the_authenticator_is_reported_at_its_field(app, create_user):
    admin = create_user(role="admin", totp_secret=None)
    old_secret, _codes = enrolled_at(admin)
    later, new_secret = AT + 60, pyotp.random_base32()
    with pytest.raises(second_factor.WrongCode) as refused:
        second_factor.enrol(db.session.get(User, admin.id), new_secret, pyotp.TOTP(new_secret).at(later), later,
                            current_code=pyotp.TOTP(old_secret).at(AT), password=PASSWORD)  # already used
    assert (refused.value.field, refused.value.message) == (
        "current_code", "This code is not right, or was already used. Wait for the next code and try again.")
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret == old_secret


def test_a_recovery_code_typed_with_spaces_between_its_groups_works(app, create_user):
    member = create_user()
    _secret, codes = enrolled_at(member)
    typed = " ".join(codes[0].upper().split("-"))
    assert second_factor.check(member.id, typed, AT + 30) is not None


def test_a_recovery_code_shows_its_25_random_characters_in_five_groups_of_five(app, monkeypatch):
    alphabet = iter(second_factor.RECOVERY_ALPHABET)
    monkeypatch.setattr(second_factor.secrets, "choice", lambda _letters: next(alphabet))
    assert second_factor._recovery_code() == "abcde-fghij-klmno-pqrst-uvwxy"


def test_the_authenticator_app_is_told_the_account_and_the_issuer():
    uri = second_factor.enrolment_uri(TOTP_SECRET, "admin@example.jp")
    assert uri == f"otpauth://totp/Floor%20booking:admin%40example.jp?secret={TOTP_SECRET}&issuer=Floor%20booking"


def test_the_enrolment_qr_code_has_error_correction_m_5_px_modules_and_a_2_module_margin():
    """Level M reads through 15 % damage; with an address of this length level L would fit a smaller code."""
    uri = second_factor.enrolment_uri(TOTP_SECRET, "admin@example.jp")
    wanted = segno.make(uri, error="M")
    side = wanted.symbol_size(scale=5, border=2)[0]
    svg = unquote(second_factor.qr_code(uri))
    assert segno.make(uri).version < wanted.version
    assert svg.startswith("data:image/svg+xml") and f"width='{side}' height='{side}'" in svg
    assert "scale(5)" in svg

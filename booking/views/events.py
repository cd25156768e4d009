"""Public events: the list, an event's page with its registration form, personal links, feeds."""

from __future__ import annotations

import secrets
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from booking.db import utcnow
from booking.domain import events as rules
from booking.domain.values import N_
from booking.domain.wallclock import wall_instant
from booking.forms_events import AGENDA_ROWS, EventForm, MemberRegistrationForm, PartyForm, RegistrationForm
from booking.limits import limited
from booking.models import PublicEvent
from booking.services import NotFound, ServiceError, event_feeds, public_events, registrations
from booking.urls import external_url
from booking.views.feeds import ICS_TYPE, serve
from booking.views.helpers import error_message, local, locale_code, show_refusal, shown_at, text_aside
from booking.views.kept import csrf_input, kept_body

bp = Blueprint("events", __name__)


def _key() -> str:
    return str(current_app.config["SECRET_KEY"])


@bp.get("/events")
def index() -> str:
    """Upcoming and past public events."""
    upcoming, past = public_events.listed()
    return render_template("events/index.html", upcoming=upcoming, past=past[:20])


def _forms() -> tuple[RegistrationForm | None, MemberRegistrationForm | None]:
    if current_user.is_authenticated:
        return None, MemberRegistrationForm(prefix="m")
    return RegistrationForm(), None


def _mine(event_id: int) -> tuple[Any, str]:
    """A signed-in member's own registration of the event and the secret of its page, if they have one."""
    if not current_user.is_authenticated:
        return None, ""
    mine = registrations.member_registration(event_id, current_user)
    return (mine, registrations.secret_of(_key(), mine)) if mine is not None else (None, "")


# Why a visitor finds no registration form (rules.registration_window), with the instant that explains it.
WINDOW_MESSAGES = {
    rules.NOT_YET: N_("Registration opens on %(time)s."),
    rules.CLOSED: N_("Registration closed on %(time)s."),
    rules.STARTED: N_("Registration closed when the event began, on %(time)s."),
    rules.OVER: N_("This event ended on %(time)s; registration is closed."),
    rules.NEVER: N_("Registration for this event is not open: the event was moved to %(time)s, before "
                    "registration was to open."),
}


def window_of(event: PublicEvent) -> rules.RegistrationWindow:
    """Where the event's registration stands now."""
    return registrations.window_of(event, utcnow())


@bp.app_template_global()
def registration_period_of(event: PublicEvent) -> tuple[datetime, datetime] | None:
    """The event's registration period as it holds for its start now (rules.registration_period)."""
    return rules.registration_period(event.registration_opens_at, event.registration_closes_at,
                                     event.booking.start_dt)


@bp.app_template_global()
def registration_state(event: PublicEvent, now: datetime) -> str:
    """Where the event's registration stands at `now` (the lists' clock, given by their page)."""
    return registrations.window_of(event, now).state


def window_message(window: rules.RegistrationWindow, zone: str) -> str:
    """Why registration is not open and since or until when, in the viewer's language ("" when it is open),
    the time with its zone as the page's other times."""
    text = WINDOW_MESSAGES.get(window.state)
    return _(text, time=text_aside(local(window.at, zone), zone)) if text else ""


@bp.app_template_global()
def seats_text(event: PublicEvent, window_state: str) -> str:
    """What the event's seats row says while registration is in `window_state` (rules.seat_wording): an
    invitation to register or to join the waiting list only while it is open, "closed" only once it closed
    (never for an event whose registration never opens)."""
    wording = rules.seat_wording(window_state, event.capacity, event.seats_taken)
    if wording.kind == rules.SEATS_LEFT:
        return ngettext("%(count)s seat left", "%(count)s seats left", wording.count, count=wording.count)
    if wording.kind == rules.FULL_WAITING:
        return _("Full (waiting list open)")
    if wording.kind == rules.FULL:
        return _("Full")
    if wording.kind == rules.NO_REGISTRATION and not wording.count:
        return ngettext("%(count)s seat; this event takes no registration",
                        "%(count)s seats; this event takes no registration", wording.capacity,
                        count=wording.capacity)
    if wording.kind == rules.NO_REGISTRATION:
        return ngettext("This event takes no registration: %(taken)s of %(count)s seat taken",
                        "This event takes no registration: %(taken)s of %(count)s seats taken", wording.capacity,
                        taken=wording.count, count=wording.capacity)
    return ngettext("Registration closed: %(taken)s of %(count)s seat taken",
                    "Registration closed: %(taken)s of %(count)s seats taken", wording.capacity,
                    taken=wording.count, count=wording.capacity)


@bp.get("/events/<int:event_id>")
def detail(event_id: int) -> str:
    """One event: when, where, agenda, seats left (never who) and the registration form,
    or for a member already registered, their registration and the link to manage it."""
    if not current_user.is_authenticated:
        return render_template("events/detail.html", parts=_visitor_parts(event_id))
    event = public_events.public_event(event_id)
    form, member_form = _forms()
    mine, secret = _mine(event_id)
    return _page(event, form, member_form, mine=mine, mine_secret=secret)


def _page(event: PublicEvent, form: RegistrationForm | None, member_form: MemberRegistrationForm | None,
          **values: Any) -> str:
    # After a refusal the page is shown at the form's address: the language switch goes back to the event.
    shown_at(url_for("events.detail", event_id=event.id))
    return render_template("events/detail.html", parts=page_parts(event, form, member_form, **values),
                           failed=form or member_form)


PARTS = ("title", "head", "content")


def page_parts(event: PublicEvent, form: RegistrationForm | None, member_form: MemberRegistrationForm | None,
               *, mine: Any = None, mine_secret: str = "", form_fields: Markup | None = None,
               hidden: Markup | None = None, window: rules.RegistrationWindow | None = None,
               refused: bool = False, reason: str = "") -> dict[str, Markup]:
    """The event page's title, head and content (the blocks of templates/events/_detail_parts.html).

    `hidden` stands for the registration form's hidden fields (else the form renders its own);
    `window` is where registration stands (else read from the clock): the form is shown only while it
    is open; when `refused` (a POST refused) the page says why (`reason`, else the window's message) and shows
    the input read only, with nothing to send it again.
    """
    window = window_of(event) if window is None else window
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_template("events/_detail_parts.html")
    context: dict[str, Any] = dict(
        event=event, locale=locale_code(), space=event.booking.space, is_cancelled=event.is_cancelled,
        window=window, closed_message=reason or window_message(window, event.booking.space.timezone),
        refused=refused,
        form=form, member_form=member_form, mine=mine, mine_secret=mine_secret, form_fields=form_fields, hidden=hidden)
    app.update_template_context(context)
    blocks = template.new_context(context)
    return {name: Markup("".join(template.blocks[name](blocks))) for name in PARTS}


# Visitors' event pages kept per app and worker, in characters (a page's parts are about 6,000): keyed by
# the raw rows of everything they show (public_events.page_facts) and where registration stands (open, not
# yet, closed, started, over: computed from the clock outside the kept page, never a time in the key), plus
# the language and script root (booking/views/kept.py). Reading the event as ORM objects was a third
# of the page and rendering it most of the rest (profile lines 'sqlalchemy/orm/strategies.py:3226
# (_load_for_path)', 'templates/events/detail.html:99(block_content)', 'views/events.py:53(_forms)').
KEPT_EVENT_CHARACTERS = 4_000_000
_PART_BREAK = f"\ue000{secrets.token_hex(8)}part\ue001"


def _visitor_parts(event_id: int) -> dict[str, Markup]:
    facts = public_events.page_facts(event_id)
    window = rules.registration_window(utcnow(), facts.registration_opens_at, facts.registration_closes_at,
                                       facts.start_dt, facts.end_dt)

    def render(csrf: Markup) -> str:
        # In the snapshot page_facts read (when it began one), so the page shows exactly its rows.
        form = RegistrationForm()
        parts = page_parts(public_events.public_event(event_id), form, None, form_fields=visitor_fields(form),
                           hidden=csrf, window=window)
        return _PART_BREAK.join(parts[name] for name in PARTS)

    text = (kept_body("booking_event_pages", KEPT_EVENT_CHARACTERS, ("event", facts.rows, window.state), render)
            if facts.is_snapshot else render(csrf_input()))
    return dict(zip(PARTS, map(Markup, text.split(_PART_BREAK)), strict=True))


def visitor_fields(form: RegistrationForm) -> Markup:
    """The fields of a visitor's empty registration form, rendered once per app and language.

    A GET's form is the same for every visitor of a language (no input, no errors, the CSRF
    token goes in the hidden tag outside it), so its markup is kept keyed by the locale and the
    path the app is served under, all it depends on besides the code: one entry per language. A form posted back
    with errors is rendered afresh (profile line 'templates/_forms.html:12(macro)' with WTForms'
    'render_field' under it: a quarter of the event page).
    """
    kept: dict[tuple[str, str], Markup] = current_app.extensions.setdefault("booking_visitor_fields", {})
    key = (locale_code(), request.script_root)  # the privacy link is relative to where the app is served
    found = kept.get(key)
    if found is None:
        found = kept[key] = Markup(render_template("events/_registration_fields.html", form=form))
    return found


def _input(form: RegistrationForm | None,
           member_form: MemberRegistrationForm | None) -> registrations.RegistrationInput | None:
    chosen = form or member_form
    assert chosen is not None
    if not chosen.validate_on_submit():
        return None
    if form is not None:
        return registrations.RegistrationInput(
            name=form.name.data or "", email=form.email.data or "", organisation=form.organisation.data or "",
            org_kind=form.org_kind.data or "individual", companions=form.companions.data or 0,
            consent=bool(form.consent.data), locale=locale_code())
    assert member_form is not None
    return registrations.RegistrationInput(
        name=current_user.name, email=current_user.email, organisation=current_user.organisation or "",
        org_kind=current_user.org_kind, companions=member_form.companions.data or 0,
        consent=bool(member_form.consent.data), locale=locale_code())


# One rule for both methods (an id the converter refuses is 404, not 405); GET: the address opened
# again after a refusal (reloaded, or the language switched) leads to the form's page.
@bp.route("/events/<int:event_id>/register", methods=["GET", "POST"])
@limited("event_registration")
def register(event_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """Register (or join the waiting list); an address already registered gets its link mailed again."""
    if request.method == "GET":
        return redirect(url_for("events.detail", event_id=event_id))
    event = public_events.public_event(event_id)
    form, member_form = _forms()
    window = window_of(event)
    if event.is_cancelled or not window.is_open:  # checked before the input: its errors would not matter
        return _refused(event, form, member_form, window)
    data = _input(form, member_form)
    if data is None:
        return _page(event, form, member_form), 422
    member = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        registrations.register(event_id, data, _key(), member=member)
    except registrations.PartyTooLarge as refusal:
        chosen = form or member_form
        assert chosen is not None
        chosen.companions.errors = [*chosen.companions.errors, error_message(refusal)]
        return _page(event, form, member_form), 422
    except registrations.RegistrationClosed as refusal:  # closed meanwhile
        return _refused(event, form, member_form, refusal.window)
    except NotFound:  # withdrawn meanwhile
        return _refused(public_events.public_event(event_id), form, member_form, window)
    except ServiceError as refusal:
        flash(error_message(refusal), "error")
        return redirect(url_for("events.detail", event_id=event_id))
    session["registered_email"] = data.email
    return redirect(url_for("events.sent", event_id=event_id))


def _refused(event: PublicEvent, form: RegistrationForm | None, member_form: MemberRegistrationForm | None,
             window: rules.RegistrationWindow) -> tuple[str, int]:
    """A registration refused because it is not open (cancelled, not yet, closed, begun, over): 409, the
    reason said once, where the page says it (an alert the read-only input points to, where the focus
    lands: no error summary repeating it), the input shown read only, nothing written. `kept_input` lets
    the language switch send the typed values again, as after any refused form."""
    reason = "" if event.is_cancelled else (window_message(window, event.booking.space.timezone)
                                            or _("Registration for this event is not open."))
    shown_at(url_for("events.detail", event_id=event.id))
    return render_template("events/detail.html", failed=form or member_form, kept_input=True,
                           parts=page_parts(event, form, member_form, window=window, refused=True,
                                            reason=reason)), 409


@bp.get("/events/<int:event_id>/sent")
def sent(event_id: int) -> str | WerkzeugResponse:
    """Where a registration lands: the mail with the personal link is on its way.

    Opened without a registration just made (no address to name), it is the event's page.
    """
    event = public_events.public_event(event_id)
    email = session.pop("registered_email", "")
    if not email:
        return redirect(url_for("events.detail", event_id=event_id))
    return render_template("events/sent.html", event=event, email=email)


def _private(response: WerkzeugResponse) -> WerkzeugResponse:
    """The personal page holds personal data behind a secret URL: never cached, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/events/r/<secret>", methods=["GET", "POST"])
def registration(secret: str) -> WerkzeugResponse:
    """A registration behind its personal link: see it, change the party, cancel, or confirm an offer."""
    return _private(make_response(_registration(secret)))


def _registration(secret: str) -> str | WerkzeugResponse | tuple[str, int]:
    try:
        found = registrations.find_by_secret(secret)
    except NotFound:
        abort(404)
    form = PartyForm(data={"companions": found.companions} if request.method == "GET" else None)
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in ("change", "cancel", "confirm"):
            abort(400)
        refusal = registrations.refusal_before_input(found, action, utcnow())
        if refusal is not None:
            return _closed_alert(found, secret, refusal)
        if action == "change":
            return _change(found, form, secret)
        try:  # cancel and confirm read no field (CSRFProtect checked the token): a missing size is no matter
            if action == "cancel":
                registrations.cancel(secret, _key())
                flash(_("Your registration has been cancelled."), "success")
            else:
                registrations.confirm_offer(secret, _key())
                flash(_("Your seats are confirmed."), "success")
        except registrations.CheckedIn as refusal:
            return _closed_alert(found, secret, refusal)
        except ServiceError as refusal:
            flash(error_message(refusal), "error")
        return redirect(url_for("events.registration", secret=secret))
    return _registration_page(found, form, secret)


def _change(found: Any, form: PartyForm, secret: str) -> WerkzeugResponse | tuple[str, int]:
    """Change the party's size; a refusal of the size is said next to the field (what is refused whatever
    the size, registrations.refusal_before_input, was said before)."""
    if not form.validate_on_submit():
        return _registration_page(found, form, secret), 422
    try:
        outcome = registrations.change_party(secret, form.companions.data or 0, _key())
    except (registrations.PartyTooLarge, registrations.PartyCannotGrow) as refusal:
        form.companions.errors = [*form.companions.errors, error_message(refusal)]
        status = 409 if isinstance(refusal, registrations.PartyCannotGrow) else 422
        return _registration_page(found, form, secret), status
    except registrations.CheckedIn as refusal:
        return _closed_alert(found, secret, refusal)
    except ServiceError as refusal:
        flash(error_message(refusal), "error")
    else:
        if outcome.changed:
            flash(_("Your registration has been changed."), "success")
        else:
            flash(_("Nothing was changed: the number of people is the same as before."), "info")
    return redirect(url_for("events.registration", secret=secret))


def _closed_alert(found: Any, secret: str, refusal: ServiceError, status: int = 409) -> tuple[str, int]:
    """The page again with `refusal` as its alert, its hidden field back at the stored size (a forged value
    kept there would be posted again with the next cancel and refused as input no one can see)."""
    form = PartyForm(formdata=None, data={"companions": found.companions})
    return _registration_page(found, form, secret, alert=error_message(refusal)), status


def _registration_page(found: Any, form: PartyForm, secret: str, alert: str = "") -> str:
    """The personal page, offering only what may still be done now: growing the party only while
    registration is open (rules.may_change_party; else shrinking, when there is anyone to leave out),
    confirming an offer only before its deadline and the start (rules.may_confirm_offer), and nothing once the
    party has checked in (registrations.is_checked_in)."""
    now, start = utcnow(), found.event.booking.start_dt
    window = registrations.window_of(found.event, now)
    return render_template(
        "events/registration.html", registration=found, form=form, secret=secret,
        may_grow=window.is_open, window_note=window_message(window, found.event.booking.space.timezone),
        checked_in=registrations.is_checked_in(found), alert=alert,
        may_confirm=found.status == rules.OFFERED and rules.may_confirm_offer(now, found.offer_expires_at, start))


@bp.get("/events.ics")
def feed() -> Response:
    """The public events feed for calendar apps."""
    return serve(event_feeds.events_feed)


@bp.get("/events/<int:event_id>.ics")
def calendar(event_id: int) -> Response:
    """One event as a calendar file to import."""
    try:
        data = event_feeds.event_calendar(event_id)
    except NotFound:
        abort(404)
    response = Response(data, content_type=ICS_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="event-{event_id}.ics"'
    return response


REGISTRATION_STATUSES = {
    "registered": lazy_pgettext("registration status", "Registered"),
    "offered": _l("Seats offered: please confirm"),
    "waiting": _l("On the waiting list"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Offer lapsed"),
}


def event_json_ld(event: PublicEvent, locale: str, window: rules.RegistrationWindow) -> dict[str, Any]:
    """schema.org Event of a public event (seats left as remainingAttendeeCapacity, never names); its offer
    (registration) is valid in the registration window and available as `window` says (rules.offer_availability)."""
    booking, space = event.booking, event.booking.space
    zone = ZoneInfo(space.timezone)
    status = "EventCancelled" if event.is_cancelled else "EventScheduled"
    return {
        "@context": "https://schema.org", "@type": "Event", "name": event.title(locale),
        "description": event.description(locale), "startDate": booking.start_dt.astimezone(
            ZoneInfo(space.timezone)).isoformat(), "endDate": booking.end_dt.astimezone(
            ZoneInfo(space.timezone)).isoformat(),
        "eventStatus": f"https://schema.org/{status}",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": space.name(locale),
                     "url": external_url("spaces.week", slug=space.slug)},
        "organizer": {"@type": "Organization", "name": event.organiser or space.name(locale)},
        "maximumAttendeeCapacity": event.capacity,
        "remainingAttendeeCapacity": 0 if event.is_cancelled else event.seats_left,
        "isAccessibleForFree": event.fee_ja in ("無料", "") or event.fee_en.lower() == "free",
        "offers": {"@type": "Offer", "price": "0" if event.fee_ja in ("無料", "") else event.fee(locale),
                   "priceCurrency": "JPY", "url": external_url("events.detail", event_id=event.id),
                   "availability": "https://schema.org/" + rules.offer_availability(
                       window.state, event.seats_left, event.is_cancelled),
                   **_valid(registration_period_of(event), zone)},
        "url": external_url("events.detail", event_id=event.id),
        "subEvent": [{"@type": "Event", "name": item.title(locale), "startDate": item.start_dt.astimezone(
            ZoneInfo(space.timezone)).isoformat(), "duration": f"PT{item.minutes}M"}
            for item in event.agenda_items],
    }


def _valid(period: tuple[datetime, datetime] | None, zone: ZoneInfo) -> dict[str, str]:
    """The offer's validFrom and validThrough: the registration period that holds (none when it is empty)."""
    if period is None:
        return {}
    return {"validFrom": period[0].astimezone(zone).isoformat(), "validThrough": period[1].astimezone(zone).isoformat()}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"event_json_ld": event_json_ld, "now": utcnow(),
            "registration_status": lambda status: str(REGISTRATION_STATUSES.get(status, status))}


def _event_input(form: EventForm, zone: str, booking_start: datetime) -> public_events.EventInput | None:
    opens, closes = form.instant("opens", zone), form.instant("closes", zone)
    if opens is None or closes is None:
        return None
    day = booking_start.astimezone(ZoneInfo(zone)).date()
    agenda = []
    for _number, clock, minutes, title_ja, title_en, speakers in form.agenda_rows():
        start = wall_instant(day, clock, ZoneInfo(zone)) if isinstance(clock, time) else booking_start
        agenda.append(public_events.AgendaInput(start, minutes, title_ja, title_en, speakers))
    return public_events.EventInput(
        title_ja=form.title_ja.data or "", title_en=form.title_en.data or "",
        description_ja=form.description_ja.data or "", description_en=form.description_en.data or "",
        organiser=form.organiser.data or "", capacity=form.capacity.data or 0,
        fee_ja=form.fee_ja.data or "無料", fee_en=form.fee_en.data or "Free",
        registration_opens_at=opens, registration_closes_at=closes,
        accepts_walk_ins=bool(form.accepts_walk_ins.data), agenda=tuple(agenda))


# The form's field for a problem's field (rules.EventProblem.field): the closing's day for the period (its
# row's first input), an agenda item's start time for the item ("agenda-2").
PROBLEM_FIELDS = {"registration_closes": "closes_day", "capacity": "capacity"}


class _ProblemOnField:
    """A save's problem as show_refusal takes it: said next to its field of the form, or in the summary
    alone when it has none (the booking not confirmed, a published event)."""

    def __init__(self, problem: rules.EventProblem) -> None:
        self.message, self.params = problem.message, problem.params
        number = problem.field.removeprefix("agenda-")
        self.field = (f"agenda_{number}_time" if number != problem.field
                      else PROBLEM_FIELDS.get(problem.field, ""))


def _prefilled(event: PublicEvent | None, zone: str, booking: Any) -> EventForm:
    if event is None or request.method == "POST":
        form = EventForm()
        if request.method == "GET":
            opens = utcnow().astimezone(ZoneInfo(zone))
            closes = booking.start_dt.astimezone(ZoneInfo(zone))
            form.opens_day.data, form.opens_time.data = opens.date(), opens.time().replace(second=0, microsecond=0)
            form.closes_day.data, form.closes_time.data = closes.date(), closes.time()
            form.title_ja.data = booking.title
        return form
    local = ZoneInfo(zone)
    form = EventForm(obj=event)
    form.opens_day.data = event.registration_opens_at.astimezone(local).date()
    form.opens_time.data = event.registration_opens_at.astimezone(local).time()
    # the closing that holds (an event moved earlier clipped it to its start), as the event page shows it;
    # also for one moved to before its opening, whose stored closing lies after the event (rules.kept_period
    # keeps the stored period when the form is sent back as shown)
    closes = rules.shown_closing(event.registration_closes_at, event.booking.start_dt).astimezone(local)
    form.closes_day.data, form.closes_time.data = closes.date(), closes.time()
    for n, item in enumerate(event.agenda_items, start=1):
        form[f"agenda_{n}_time"].data = item.start_dt.astimezone(local).time()
        form[f"agenda_{n}_minutes"].data = item.minutes
        form[f"agenda_{n}_title_ja"].data, form[f"agenda_{n}_title_en"].data = item.title_ja, item.title_en
        form[f"agenda_{n}_speakers"].data = item.speakers
    return form


@bp.route("/bookings/<int:booking_id>/event", methods=["GET", "POST"])
@login_required
def edit(booking_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """Turn a booking into a public event, or change it (staff; members where the space allows it)."""
    booking = public_events.editable_booking(current_user, booking_id)
    zone = booking.space.timezone
    form = _prefilled(public_events.event_of(booking_id), zone, booking)
    data = _event_input(form, zone, booking.start_dt) if form.validate_on_submit() else None
    if data is None:
        return render_template("events/form.html", form=form, booking=booking,
                               rows=range(1, AGENDA_ROWS + 1)), 422 if form.is_submitted() else 200
    saved = public_events.save_event(current_user, booking_id, data, key=_key())
    if not saved.ok:
        for problem in saved.problems:
            show_refusal(form, _ProblemOnField(problem))
        return render_template("events/form.html", form=form, booking=booking, rows=range(1, AGENDA_ROWS + 1)), 422
    assert saved.event is not None
    flash(_("The event is saved.") if saved.event.status == "published"
          else _("The event is saved and waits for staff approval."), "success")
    return redirect(url_for("events.detail", event_id=saved.event.id) if saved.event.status == "published"
                    else url_for("bookings.detail", booking_id=booking_id))

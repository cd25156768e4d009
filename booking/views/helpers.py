"""Template helpers: local times, names in the viewer's language, status labels."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, render_template, request, url_for
from flask_babel import get_locale, get_translations, gettext, lazy_gettext
from jinja2.ext import Extension
from markupsafe import Markup, escape

from booking.caches import BoundedCache, app_cache
from booking.dates import (
    RANGE_MARKS,
    format_day,
    format_duration,
    format_month,
    format_range,
    format_span,
    format_when,
    join_list,
    localise,
    with_aside,
)
from booking.domain.passwords import MIN_LENGTH
from booking.domain.values import N_, Conflict, YearMonth
from booking.domain.wallclock import utc_offset_label
from booking.urls import external_url
from booking.views.error_summary import form_summary, summary_items
from booking.views.language import header_switch

STATUS_TEXTS = {
    "pending": N_("Pending approval"),
    "confirmed": N_("Confirmed"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired"),
}
STATUS_LABELS = {status: lazy_gettext(text) for status, text in STATUS_TEXTS.items()}
KIND_LABELS = {
    "exclusive": lazy_gettext("Whole room"),
    "pooled": lazy_gettext("Hot desks"),
}
ORG_KIND_LABELS = {
    "company": lazy_gettext("Company"),
    "npo": lazy_gettext("NPO"),
    "research": lazy_gettext("Research"),
    "public": lazy_gettext("Public body"),
    "individual": lazy_gettext("Individual"),
}
WEEKDAYS = (
    lazy_gettext("Mon"), lazy_gettext("Tue"), lazy_gettext("Wed"), lazy_gettext("Thu"),
    lazy_gettext("Fri"), lazy_gettext("Sat"), lazy_gettext("Sun"),
)


def locale_code() -> str:
    """The request's locale code ("ja" or "en"), from Flask-Babel's context slot once it is chosen.

    Pages ask for it many times (base.html twice, each date and table once): reading the slot
    `babel_locale` that `get_locale` fills (and `force_locale` sets and restores) skips its
    context and app lookups (profile line 'flask_babel/__init__.py:249(get_locale)', 9 to 30 calls a page).
    """
    context = getattr(g, "_flask_babel", None) if g else None
    found = getattr(context, "babel_locale", None) if context is not None else None
    return str(found or get_locale() or "ja")


# The header's links (base.html), built once per worker and script root: url_for ran 8 times on
# every page (profile line 'werkzeug/routing/map.py:828(build)'). Relative URLs of endpoints
# without variables depend on nothing else of the request.
site_urls: BoundedCache[str] = BoundedCache(64)


def site_url(endpoint: str, **values: str) -> str:
    """url_for(endpoint, **values) for links that are the same on every page (base.html)."""
    key = (request.script_root, endpoint, *sorted(values.items()))
    found = site_urls.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        site_urls.put(key, found)
    return found


# A slot of a kept header: characters no page text carries, with a per-process secret so that no text a
# person typed (their name, the address asked for) can pose as one.
_HEADER_SECRET = secrets.token_hex(8)
_HEADER_SLOT = re.compile("\ue000" + _HEADER_SECRET + r"([a-z]+)\ue001")
MAX_KEPT_HEADERS = 32  # bounded: the script root can come from a proxy's header


def site_header(user: Any, page_request: Any, csrf_token: Callable[[], str], failed_form: str = "") -> Markup:
    """The skip link and the site's header (templates/_site_header.html) for this request.

    Rendered once per language, script root and kind of viewer (visitor, member, staff) and kept
    per app, as slots where a request's own values go: the signed-in person's name, the CSRF
    token and the language switch's address and hidden values (on a page showing a refused form,
    `failed_form` is its content, and the switch sends the typed values of its fields again:
    booking.views.language). It shows nothing else of the viewer
    or the request, so a kept header is never another viewer's. `user`, `page_request` and
    `csrf_token` are the template's (booking.views.week_grid renders the layout with stand-ins
    that know only is_authenticated, is_staff, name and full_path). Rendering it on every page
    was profile line 'templates/base.html:4(root)' with ten gettext and twelve site_url calls.
    """
    signed_in = bool(user.is_authenticated)
    is_staff = signed_in and bool(user.is_staff)
    key = (locale_code(), request.script_root, signed_in, is_staff)
    headers: BoundedCache[tuple[str, ...]] = app_cache("booking_site_headers", MAX_KEPT_HEADERS)
    parts = headers.get(key)
    if parts is None:
        slots = {name: Markup(f"\ue000{_HEADER_SECRET}{name}\ue001")
                 for name in ("name", "csrf", "action", "kept", "field")}
        text = render_template("_site_header.html", signed_in=signed_in, is_staff=is_staff, **slots)
        parts = tuple(_HEADER_SLOT.split(text.strip("\n")))
        headers.put(key, parts)
    next_url = escape(g.get("page_url") or page_request.full_path)
    values = {"csrf": escape(csrf_token()), "name": escape(user.name) if signed_in else "",
              **header_switch(failed_form, next_url, site_url("main.set_language"))}
    return Markup("".join(values[part] if n % 2 else part for n, part in enumerate(parts)))


def shown_at(page_url: str) -> None:
    """This response (a refused POST) is the page at `page_url`: where the language switch returns to."""
    g.page_url = page_url


def local(instant: datetime, zone: str, fmt: str | None = None) -> str:
    """A local date and time for people (booking.dates, the viewer's locale); `fmt` for machine values."""
    if fmt is None:
        return format_when(instant, zone, locale_code())
    return instant.astimezone(ZoneInfo(zone)).strftime(fmt)


def local_span(start: datetime, end: datetime, zone: str) -> str:
    """2026年12月2日(水) 15:00–17:00 / Wed 2 Dec 2026, 15:00–17:00 (booking.dates.format_span)."""
    return format_span(start, end, zone, locale_code())


def local_day(day: date, short: bool = False) -> str:
    return format_day(day, locale_code(), short)


def time_range(first: object, last: object) -> str:
    """A range in the viewer's language (booking.dates.format_range): 10:00～11:00 / 10:00–11:00."""
    return format_range(first, last, locale_code())


def range_mark() -> str:
    """The mark between two ends of a range the page builds itself (two inputs): ～ / –."""
    return RANGE_MARKS["ja" if locale_code() == "ja" else "en"]


def listed(items: Iterable[object]) -> str:
    """A list for people in the viewer's language (booking.dates.join_list): 1、2、3 / 1, 2, 3."""
    return join_list(items, locale_code())


def utc_offset(instant: datetime, zone: str) -> str:
    return utc_offset_label(instant, ZoneInfo(zone))


def month_label(day: date) -> str:
    """The month of `day` for people: 2026年6月 / Jun 2026 (booking.dates.format_month)."""
    return format_month(YearMonth(day.year, day.month), locale_code())


def day_label(day: date) -> str:
    """A grid column's day without the year: 12月2日(水) / Wed 2 Dec."""
    return format_day(day, locale_code(), short=True)


def message(text: str, params: Mapping[str, object] | None = None) -> str:
    """A domain or service message in the viewer's language, its dates per locale (booking.dates)."""
    return gettext(text, **localise(params or {}, locale_code()))


def status_label(status: str) -> str | None:
    """A booking status in the viewer's language (STATUS_LABELS' words), None for an unknown one.

    Looked up in the request's catalog (`translations`): a lazy label costs Flask-Babel's
    whole lookup each time it is printed, once per booking on the staff calendar.
    """
    text = STATUS_TEXTS.get(status)
    return None if text is None else str(translations().ugettext(text))


def conflict_message(conflict: Conflict) -> str:
    """A rule's message in the viewer's language, with its values."""
    return message(conflict.message, conflict.params)


def error_message(error: Any) -> str:
    """A ServiceError (or a refusal with `message` and `params`) in the viewer's language."""
    return message(error.message, dict(error.params))


def show_refusal(form: Any, error: Any) -> None:
    """A service's refusal on the form: beside its field when it names one the form has, else above the fields."""
    text = error_message(error)
    name = getattr(error, "field", None)
    if name and name in form:
        form[name].errors = [*form[name].errors, text]
    else:
        form.form_errors.append(text)


def password_hint() -> str:
    return gettext("At least %(min)d characters, and not a common password: a phrase of several "
                   "unrelated words is strong and easy to remember.", min=MIN_LENGTH)


def minutes_text(minutes: int) -> str:
    """A length in plain words: 30分 / 1時間30分 / 2日 (30 min / 1 h 30 min / 2 days), as every
    refusal and mail writes it (booking.dates.format_duration)."""
    return format_duration(minutes, locale_code())


def aside(text: Any) -> Markup:
    """An aside after a value: （…） in Japanese, " (…)" in English (glossary.toml [punctuation])."""
    return (Markup("（%s）") if locale_code() == "ja" else Markup(" (%s)")) % (text,)


def text_aside(text: Any, aside: Any) -> str:
    """aside() for plain text (mail): （…） in Japanese, " (…)" in English, nothing for an empty aside."""
    return with_aside(str(text), str(aside or ""), locale_code())


class GlueSeparators(Extension):
    """A 「·」 between items stays on the line of the item before it, so a wrapped line never starts with it.

    The space before each " · " of an HTML template becomes a no-break space when the template is
    compiled (no cost per page); tests/e2e/test_every_page.py checks it at 320 px.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r" ·(?=\s)", "\u00a0·", source) if name and name.endswith(".html") else source


def register(app: Flask) -> None:
    app.jinja_env.add_extension(GlueSeparators)
    app.jinja_env.globals.update(
        password_hint=password_hint,
        locale_code=locale_code, status_label=status_label, kind_label=KIND_LABELS.get,
        org_kind_label=ORG_KIND_LABELS.get, day_label=day_label, month_label=month_label,
        external_url=external_url,
        conflict_message=conflict_message, minutes_text=minutes_text, site_url=site_url,
        site_header=site_header, aside=aside, text_aside=text_aside, summary_items=summary_items,
        form_summary=form_summary,
    )
    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["utc_offset"] = utc_offset
    app.jinja_env.filters["listed"] = listed
    app.jinja_env.globals["time_range"] = time_range
    app.jinja_env.globals["range_mark"] = range_mark
    app.jinja_env.globals["local_span"] = local_span
    app.jinja_env.filters["day"] = local_day
    app.jinja_env.filters["hash_id"] = lambda text: hashlib.sha256(str(text).encode()).hexdigest()[:10]
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def translations() -> Any:
    """The catalog of the current locale, looked up once per request (and per `force_locale`).

    Flask-Babel's own template callables look the catalog up again for every `_()`
    (context, locale, domain, cache: about 40 % of the week page's template time);
    this keeps it in Flask-Babel's context slot `babel_translations`, which
    `force_locale` and `refresh` reset themselves.
    """
    context = getattr(g, "_flask_babel", None) if g else None
    if context is None:
        return get_translations()
    found = getattr(context, "babel_translations", None)
    if found is None:
        found = context.babel_translations = get_translations()
    return found

"""Staff pages: usage figures with charts, and exports of bookings and figures (CSV, xlsx)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from booking.caches import BoundedCache, app_cache
from booking.db import utcnow
from booking.forms_staff import ReportForm
from booking.models import ORG_KINDS
from booking.services import exports, reports
from booking.services.reports import Filters, Period
from booking.views.helpers import ORG_KIND_LABELS, STATUS_LABELS, WEEKDAYS, locale_code, month_label
from booking.views.staff import staff_required

bp = Blueprint("reports", __name__, url_prefix="/staff")
HOME_ZONE = ZoneInfo("Asia/Tokyo")

BOOKING_HEADER = (
    _l("Booking no."), _l("Space"), _l("Start"), _l("End"), _l("Time zone"), _l("Desks"), _l("Title"),
    _l("Status"), _l("Member"), _l("Organisation"), _l("Organisation kind"), _l("Requested at"),
)
FIGURES_HEADER = (
    _l("Space"), _l("Bookings"), _l("Booked hours"), _l("Open hours"), _l("Occupancy (0–1)"),
    _l("Peak desks in use"), _l("Events held"), _l("Registered persons"), _l("Checked in"), _l("Walk-ins"),
    _l("Attendance"), _l("No-shows"),
)
MEMBER_HEADER = (
    _l("Member no."), _l("Name"), _l("E-mail"), _l("Organisation"), _l("Organisation kind"), _l("Registered at"),
    _l("E-mail verified at"), _l("Account enabled (1 = yes)"), _l("Bookings in the period"),
    _l("Booked hours in the period"),
)
HEADERS = {"bookings": BOOKING_HEADER, "members": MEMBER_HEADER, "figures": FIGURES_HEADER}
# The name of an xlsx file's sheet, which a spreadsheet shows on its tab.
SHEET_TITLES = {"bookings": _l("Booking list"), "members": _l("Member list"), "figures": _l("Usage figures")}
FORMATS = {"csv": exports.CSV_TYPE, "xlsx": exports.XLSX_TYPE}


def local_today(now: datetime) -> date:
    """The day it is at `now` (UTC) on the floor: the filters' default month and year."""
    return now.astimezone(HOME_ZONE).date()


def report_form(today: date | None = None) -> ReportForm:
    """The filter form, read from the query string, with the month of `today` (local; by default
    the day it is now) as the default."""
    form = ReportForm(request.args if request.args else None)
    form.spaces.choices = reports.space_choices(locale_code())
    form.org_kind.choices = [("", _l("All")), *((kind, ORG_KIND_LABELS[kind]) for kind in ORG_KINDS)]
    today = today or local_today(utcnow())
    if form.year.data is None:
        form.year.data = today.year if form.period.data != "fiscal" else fiscal_year_of(today)
    if form.month.data is None:
        form.month.data = today.month
    return form


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def filters_of(form: ReportForm) -> Filters:
    """The filters of a validated form (year, month and days are then within their ranges)."""
    year, month = form.year.data, form.month.data
    assert year is not None and month is not None, "report_form fills in the defaults"
    if form.period.data == "fiscal":
        period = Period.fiscal_year(year)
    elif form.period.data == "range":
        assert form.first.data is not None and form.last.data is not None, "ReportForm.validate checks both"
        period = Period(form.first.data, form.last.data)
    else:
        period = Period.month(year, month)
    return Filters(period, tuple(form.spaces.data or ()), form.org_kind.data or "")


DECISION_LABELS = (("approved", _l("Approved")), ("rejected", _l("Rejected")), ("expired", _l("Expired")),
                   ("cancelled", _l("Cancelled")))

NOTICE_LABELS = (("day", _l("Less than a day before the start")), ("week", _l("One to seven days before")),
                 ("longer", _l("A week or more before")))


def chart_context(report: reports.Report, locale: str) -> dict[str, object]:
    """Bar rows (label, length 0–1, number shown) and heatmap hours for the template."""
    occupancy = [(row.space.name(locale), min(row.occupancy or 0.0, 1.0),
                  "—" if row.occupancy is None else f"{100 * row.occupancy:.1f}") for row in report.spaces]
    longest = max((row.booked_hours for row in report.kinds), default=0.0) or 1.0
    kinds = [(str(ORG_KIND_LABELS[row.org_kind]), row.booked_hours / longest, f"{row.booked_hours:.1f}")
             for row in report.kinds]
    hours = sorted({hour for (_day, hour), (used, opened) in report.heatmap.items() if used or opened})
    trend = [(month_label(row.month.first), min(row.occupancy or 0.0, 1.0),
              "—" if row.occupancy is None else f"{100 * row.occupancy:.1f}") for row in report.trend]
    return {"occupancy_chart": occupancy, "trend_chart": trend, "kind_chart": kinds, "hours": hours,
            "event_chart": event_chart(report), "event_trend_chart": event_trend_chart(report),
            "decision_labels": DECISION_LABELS, "notice_labels": NOTICE_LABELS, "weekdays": WEEKDAYS}


EVENT_LABELS = (("registered", _l("Registered persons")), ("checked_in", _l("Checked in")),
                ("walk_ins", _l("Walk-ins")), ("attendance", _l("Attendance")), ("no_shows", _l("No-shows")))


def event_chart(report: reports.Report) -> list[tuple[str, float, str]]:
    """Bars of the period's event persons (registered, checked in, walk-ins, attendance, no-shows)."""
    counts = [(str(label), getattr(report.events, name)) for name, label in EVENT_LABELS]
    longest = max((count for _label, count in counts), default=0) or 1
    return [(label, count / longest, str(count)) for label, count in counts]


def event_trend_chart(report: reports.Report) -> list[tuple[str, float, str]]:
    """Bars of attendance (persons present) per month of the trend."""
    longest = max((row.events.attendance for row in report.trend), default=0) or 1
    return [(month_label(row.month.first), row.events.attendance / longest, str(row.events.attendance))
            for row in report.trend]


@bp.route("/reports")
@staff_required
def index() -> tuple[str, int]:
    """Usage figures of the chosen spaces, period and organisation kind.

    A wrong filter (a month 13, a year outside 2000–2100, a range without an end…) is the page
    (200, as every page with a form to correct) with its error summary below the heading, the
    message next to its field and no figures: figures of some other period would look like an
    answer.
    """
    body, _refused = report_body(utcnow())
    # The error summary is part of the body, below the heading (not above the staff menu, where
    # base.html draws a `form`'s summary).
    return render_template("staff/reports.html", body=body), 200


# Rendered page contents per app and worker, in characters (a month's page of a few spaces is about
# 30,000; a fiscal year's of many spaces a few times that). Query strings longer than
# MAX_KEPT_QUERY (their length is not counted) are rendered every time.
REPORT_PAGE_CHARACTERS = 4_000_000
MAX_KEPT_QUERY = 2_000


def _report_pages() -> BoundedCache[Markup]:
    """This app's rendered report pages (per app, as the staff calendars: their keys count on its database)."""
    return app_cache("booking_report_pages", REPORT_PAGE_CHARACTERS, size=len)


def report_body(now: datetime) -> tuple[Markup, ReportForm | None]:
    """The page's content (menu, filter form, download links, figures), kept per app, and the form
    when a filter is wrong (the page's error summary lists its errors).

    The content is a function of the language, the script root of its links, the query string
    (the filters as typed, and the download links' query), the day it is at `now` on the floor
    (the default month) and the figures' data version (services.reports.data_version: every row
    they read, the spaces' names among them, and the events over by `now`); that key holds all of
    it, so a kept page is never stale, and nothing expires by the clock. It shows nothing of the
    viewer. A page is kept only if the data version read after rendering is the one read before.
    Building the form and rendering its fields was most of the page (profile line
    'templates/_forms.html:12(macro)'). A wrong filter's page is rendered every time.
    """
    version, today, locale = reports.data_version(now), local_today(now), locale_code()
    key = (locale, request.script_root, request.query_string, today, version)
    pages = _report_pages()
    found = pages.get(key)
    if found is not None:
        return found, None
    form = report_form(today)
    if not form.validate():
        return Markup(render_template("staff/_reports_body.html", form=form, report=None)), form
    report = reports.figures(filters_of(form), locale, now, version)
    found = Markup(render_template("staff/_reports_body.html", form=form, report=report,
                                   figures_html=figures_html(report, locale)))
    if len(request.query_string) <= MAX_KEPT_QUERY and reports.data_version(now) == version:
        pages.put(key, found)
    return found, None


def figures_html(report: reports.Report, locale: str) -> Markup:
    """The figures part of the page (tables, charts, heatmap): a function of the report and the locale
    alone, so rendered once per kept report (services.report_cache) and locale, and kept with it."""
    found = report.rendered.get(locale)
    if found is None:
        found = Markup(render_template("staff/_report_figures.html", report=report, kind_label=ORG_KIND_LABELS.get,
                                       **chart_context(report, locale)))
        report.rendered[locale] = found
    return Markup(found)


def _words(labels: Mapping[str, Any]) -> dict[str, str]:
    """Codes to words in the viewer's language, for an export's status and kind columns."""
    return {code: str(label) for code, label in labels.items()}


@bp.route("/reports/<any(bookings, members, figures):kind>.<any(csv, xlsx):file_format>")
@staff_required
def export(kind: str, file_format: str) -> Response:
    """Download bookings, members or figures for the filters (staff only; every export is logged).

    With a wrong filter (an edited address), the report page with the same filters, where each
    message stands next to its field: a download cannot show one.
    """
    form = report_form()
    if not form.validate():
        return redirect(url_for(".index", **request.args.to_dict(flat=False)))
    filters = filters_of(form)
    header = [str(h) for h in HEADERS[kind]]
    data = exports.export(current_user, kind, file_format, filters, locale_code(), header, utcnow(),
                          _words(STATUS_LABELS), _words(ORG_KIND_LABELS), sheet_title=str(SHEET_TITLES[kind]))
    name = f"{kind}-{filters.period.first.isoformat()}-{filters.period.last.isoformat()}.{file_format}"
    return Response(data, content_type=FORMATS[file_format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

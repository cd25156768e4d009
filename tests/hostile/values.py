"""What the hostile-input test sends: routes, form fields and query names found in the code, and nasty values.

Nothing here is a list of today's routes or fields: routes come from the app's url_map,
form fields from every FlaskForm subclass in the booking package, query names from the
views' calls of the query helpers. A new route, form or query value is covered without
touching this file.
"""

from __future__ import annotations

import html
import importlib
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter
from wtforms import BooleanField, DateField, EmailField, IntegerField, TimeField
from wtforms.fields.core import UnboundField

import booking

VIEWS = Path(booking.__file__).parent / "views"
MARKER = "<b id=hx>"  # never rendered by the app itself: seeing it unescaped is an echo

# Values every kind of field gets.
COMMON = [
    "", " ", "\u3000", "a\nb", "a\r\nb", "\r", "\x01\x02", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u202eevil",
    "\ufeff", f"{MARKER}hostile</b>", f"\"'>{MARKER}", "{{7*7}}", "%s%n", "../../etc/passwd", "\\",
    "Robert'); DROP TABLE users;--", "/\r\nSet-Cookie: hx=1", "/%0d%0aX: 1", "//evil.example",
    "x" * 300, "あ" * 3000, "😀" * 60, "null", "true", "[]",
]
KIND_VALUES = {
    "date": ["0001-01-01", "9999-12-31", "0000-00-00", "1999-12-31", "2101-01-01", "2030-02-30", "2030-13-01",
             "20300107", "２０３０-０１-０７", "2030-01-07T10:00", "-2030-01-07", "2100-12-31", "2000-01-01"],
    "time": ["24:00", "23:60", "-01:00", "10:00:00", "25:99", "00:00", "23:59", "１０:００", "10", "9:5"],
    "int": ["-1", "0", "2147483648", "99999999999999999999", "9" * 5000, "1e3", "NaN", "Infinity", "١٢", "1_000",
            " 5 ", "0x10", "-0"],
    "datetime": ["0001-01-01T00:00", "9999-12-31T23:59", "2030-01-07T10:00+14:00", "2030-01-07T25:00",
                 "0001-01-01", "9999-12-31"],
    "email": ["a@b", "a\n@example.jp", "@", "a@" + "x" * 300 + ".jp", "ＡＢ@example.jp", "a@example.jp\r\nBcc: x@y"],
    "text": [],
}


@dataclass(frozen=True)
class Raw:
    """Bytes sent as they are in a urlencoded body or query (already percent-encoded, maybe not UTF-8)."""

    text: str


RAW_VALUES = [Raw("%FF%FE"), Raw("%C3%28"), Raw("%00"), Raw("%ED%A0%80"), Raw("%E3%81")]


def kind_of(field_class: type) -> str:
    """The kind of value a field takes, from the WTForms class it is built on."""
    for base, kind in ((DateField, "date"), (TimeField, "time"), (IntegerField, "int"), (EmailField, "email")):
        if issubclass(field_class, base):
            return kind
    return "text"


def form_classes() -> list[type[FlaskForm]]:
    """Every FlaskForm subclass defined in the booking package (its modules are imported first)."""
    for module in pkgutil.walk_packages(booking.__path__, "booking."):
        importlib.import_module(module.name)
    found: list[type[FlaskForm]] = []
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("booking"):
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


def form_fields() -> dict[str, str]:
    """Field name → kind, over every form class (a name shared by two forms has one kind)."""
    found: dict[str, str] = {}
    for cls in form_classes():
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            if isinstance(unbound, UnboundField):
                found[name] = kind_of(unbound.field_class)
    return found


NAMED_BASELINE = {"slug": "hx-space", "timezone": "Asia/Tokyo", "holiday_country": "JP", "email": "member@hx.jp",
                  "member_email": "member@hx.jp", "password": "correct horse battery",
                  "confirm": "correct horse battery", "space": "all", "booking_ids": "1"}
KIND_BASELINE = {"date": "", "time": "10:00", "int": "1", "email": "member@hx.jp", "text": "Hostile test",
                 "datetime": ""}


def baseline(day: str) -> dict[str, str]:
    """A valid value for every form field, so one hostile field at a time reaches the services.

    Chosen from the field's own default or first choice, else its name, else its kind.
    """
    found: dict[str, str] = {}
    for cls in form_classes():
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            if not isinstance(unbound, UnboundField):
                continue
            kind = kind_of(unbound.field_class)
            default = unbound.kwargs.get("default")
            choices = unbound.kwargs.get("choices")
            if name in NAMED_BASELINE:
                value = NAMED_BASELINE[name]
            elif re.fullmatch(r"day_\d", name):
                value = "09:00-18:00"
            elif issubclass(unbound.field_class, BooleanField):
                value = "y" if default else ""
            elif default is not None and not callable(default):
                value = str(default)
            elif choices:
                value = str(choices[0][0])
            elif kind == "date":
                value = day
            elif kind == "time" and "end" in name:
                value = "11:00"
            else:
                value = KIND_BASELINE[kind]
            found.setdefault(name, value)
    return found


QUERY_CALL = re.compile(r"\b(day_arg|page_arg|text_arg|suggested_instant_arg|id_arg|choice_arg)\(\"(\w+)\"")
RAW_READ = re.compile(r"request\.(args|form)\.get\(\"(\w+)\"")
HELPER_KIND = {"day_arg": "date", "page_arg": "int", "text_arg": "text", "suggested_instant_arg": "datetime",
               "id_arg": "int", "choice_arg": "text"}


def read_names() -> tuple[dict[str, str], dict[str, str]]:
    """Query names and raw form names the views read, with their kinds, from the views' source."""
    query: dict[str, str] = {}
    form: dict[str, str] = {}
    for path in sorted(VIEWS.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for helper, name in QUERY_CALL.findall(source):
            query[name] = HELPER_KIND[helper]
        for where, name in RAW_READ.findall(source):
            (query if where == "args" else form).setdefault(name, "text")
    return query, form


def query_names_read_by(app: Flask, rule: str) -> set[str]:
    """The query names a route's view reads: in its source or in its module's functions it calls."""
    view = inspect.unwrap(app.view_functions[next(r for r in app.url_map.iter_rules() if r.rule == rule).endpoint])
    module = sys.modules[view.__module__]
    source = inspect.getsource(view)
    for called in set(re.findall(r"\b(\w+)\(", source)):
        helper = getattr(module, called, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__:
            source += inspect.getsource(helper)
    return {name for name in read_names()[0] if f'"{name}"' in source}


def routes(app: Flask) -> list[tuple[str, str]]:
    """Every (rule, method) the app answers, static files aside."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.rule, method))
    return sorted(found)


def hostile(kind: str) -> st.SearchStrategy[str | Raw]:
    """Nasty values for one kind of field: the known bad ones, raw bytes, and any text."""
    return st.one_of(
        st.sampled_from(KIND_VALUES[kind] + COMMON),
        st.sampled_from(RAW_VALUES),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    )


def path_value(app: Flask, rule: str, name: str, known: dict[str, list[str]]) -> st.SearchStrategy[str | Raw]:
    """A value for one URL variable: mostly one that names a seeded row, sometimes a hostile one."""
    converter = next(r for r in app.url_map.iter_rules() if r.rule == rule)._converters[name]
    if isinstance(converter, AnyConverter):
        return st.sampled_from(sorted(converter.items))
    if isinstance(converter, IntegerConverter):
        return st.one_of(st.sampled_from(known["id"]), st.sampled_from(KIND_VALUES["int"]))
    return st.one_of(st.sampled_from(known.get(name, ["x"])), hostile("text"))


def encode(pairs: list[tuple[str, str | Raw]]) -> str:
    """A urlencoded body or query string; Raw values go in as they are."""
    return "&".join(f"{quote_plus(k)}={v.text if isinstance(v, Raw) else quote_plus(v)}" for k, v in pairs)


def fill(rule: str, values: dict[str, str | Raw]) -> str:
    """The rule's path with each <converter:name> replaced by its (percent-encoded) value."""
    def one(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        return value.text if isinstance(value, Raw) else quote_plus(value).replace("+", "%20")

    return re.sub(r"<(?:[^<>]*:)?(\w+)>", one, rule)


def get_urls(app: Flask, known: dict[str, list[str]]) -> list[str]:
    """Each GET route once per combination of seeded values for its variables."""
    urls = []
    for rule, method in routes(app):
        if method != "GET":
            continue
        arguments = sorted(next(r for r in app.url_map.iter_rules() if r.rule == rule).arguments)
        combos: list[dict[str, str | Raw]] = [{}]
        for name in arguments:
            choices = known["id"] if "<int:" + name in rule else known.get(name, ["x"])
            combos = [{**c, name: v} for c in combos for v in choices]
        urls += [fill(rule, combo) for combo in combos]
    return urls


FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION_RE = re.compile(r'\baction="([^"]*)"')
NAME_RE = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')

# The table: the worst values of each kind, each sent once to each field a route's form has.
TABLE = {
    "date": ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01", "2030-02-30", "２０３０-０１-０７"],
    "time": ["24:00", "23:60", "-01:00", "１０:００"],
    "int": ["-1", "2147483648", "9" * 5000, "NaN", "١٢"],
    "datetime": ["0001-01-01T00:00", "9999-12-31T23:59", "2030-01-07T10:00+14:00"],
    "email": ["a\n@example.jp", "a@" + "x" * 300 + ".jp"],
    "text": [],
}
TABLE_COMMON: list[str | Raw] = ["a\nb", "\x01\x1b", f"\"'>{MARKER}", "x" * 6000, Raw("%FF%FE"),
                                 "/\r\nSet-Cookie: hx=1"]


def form_targets(app: Flask, pages: dict[str, str]) -> dict[str, set[str]]:
    """POST rule → the field names of the forms on our pages that post to it (url → HTML in `pages`)."""
    from urllib.parse import urlsplit

    from werkzeug.exceptions import HTTPException

    adapter = app.url_map.bind("localhost")
    found: dict[str, set[str]] = {}
    for url, page in pages.items():
        for attributes, body in FORM_RE.findall(page):
            if 'method="post"' not in attributes.lower():
                continue
            action = ACTION_RE.search(attributes)
            target = urlsplit(html.unescape(action.group(1)) if action and action.group(1) else url).path
            try:
                rule, _args = adapter.match(target, method="POST", return_rule=True)
            except HTTPException:
                continue
            found.setdefault(rule.rule, set()).update(set(NAME_RE.findall(body)) - {"csrf_token"})
    return found

"""Every message in the sources has a Japanese translation, and the pages switch language.

The extraction uses babel.cfg and the same keywords as `make translations`; nothing in
the working tree is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask_babel import refresh

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "booking" / "translations" / "ja" / "LC_MESSAGES"
# Keep in step with BABEL_KEYWORDS in the Makefile.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2), "N_plural": (1, 2)}
PLACEHOLDER_RE = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")


def placeholders(text: str) -> set[str]:
    """The `%(name)s`-style conversions of a message, `%%` not counted."""
    return {match.group(0) for match in PLACEHOLDER_RE.finditer(text) if match.group(2) != "%"}


def texts(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def extracted_msgids() -> set[str]:
    """The message ids in the current sources, as `pybabel extract -F babel.cfg` finds them."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj)

    def outside_hidden_and_instance(path: str) -> bool:
        name = Path(path).name
        return not name.startswith((".", "_")) and name not in {"instance", "build", "node_modules"}

    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=outside_hidden_and_instance,
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with open(CATALOG_DIR / "messages.po", "rb") as fileobj:
        return read_po(fileobj, locale="ja")


def test_every_message_in_the_sources_has_a_japanese_translation(catalog: Catalog) -> None:
    missing = sorted(
        msgid for msgid in extracted_msgids()
        if (entry := catalog.get(msgid)) is None or entry.fuzzy or not all(texts(entry.string))
    )
    assert not missing, ("run `make translations` and translate these in "
                         f"booking/translations/ja/LC_MESSAGES/messages.po: {missing}")


def test_translations_keep_the_placeholders_of_their_message(catalog: Catalog) -> None:
    wrong = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        expected = placeholders(texts(entry.id)[-1])
        wrong += [(entry.id, text) for text in texts(entry.string) if placeholders(text) != expected]
    assert not wrong


def test_the_catalog_passes_babels_format_checks(catalog: Catalog) -> None:
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert not problems


def test_the_committed_mo_file_is_compiled_from_the_po_file(catalog: Catalog, tmp_path: Path) -> None:
    fresh_path = tmp_path / "messages.mo"
    with open(fresh_path, "wb") as fileobj:
        write_mo(fileobj, catalog)
    with open(fresh_path, "rb") as fresh, open(CATALOG_DIR / "messages.mo", "rb") as committed:
        expected, actual = read_mo(fresh), read_mo(committed)
    # read_mo gives a plural message's ids and strings as lists
    as_dict = lambda mo: {  # noqa: E731
        tuple(m.id) if isinstance(m.id, list) else m.id: m.string for m in mo if m.id}
    assert as_dict(actual) == as_dict(expected), "run `make translations` to recompile messages.mo"


def test_pages_are_japanese_by_default_and_english_after_switching(client) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert "ログイン" in page and "スペース一覧" in page

    response = client.submit("/language", {"locale": "en", "next": "/"})
    assert response.status_code == 302
    # The `app` fixture keeps one app context (and so one `g`) for all requests of a test,
    # where Flask-Babel caches the locale; a real server starts a fresh one per request.
    refresh()

    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page and "ログイン" not in page


# Placeholders that hold a number of things: a message that puts one before a noun needs
# English plural forms (ngettext), so that it reads "1 booking" and "3 bookings". A range
# (%(min)s to %(max)s desks) is plural whatever its ends.
COUNT_RE = re.compile(r"%\((?:count|num|n|total|left|minutes|hours|seats|free|length)\)[ds]((?:\s+[a-z]+){1,2})")
# Domain rules and service refusals still carry a single message (their Conflict and
# ServiceError have no plural form yet); their counts are limits set by staff.
SINGLE_FORM_FOR_NOW = {
    "At most %(count)s accompanying people.",
    "Only %(free)s more seats are free.",
    "Only %(free)s of %(total)s desks are free %(start)s–%(end)s; you asked for %(seats)s.",
    "Only %(free)s of %(total)s desks are free %(start)s–%(end)s; you asked for %(seats)s. The next possible start "
    "that day is %(next)s.",
    "You already have %(count)s upcoming bookings here; the limit is %(limit)s.",
}


def _names_a_plural(words: str) -> bool:
    return any(word == "people" or (word.endswith("s") and not word.endswith("ss")) for word in words.split())


def test_english_messages_never_write_plurals_as_s_in_brackets(catalog: Catalog) -> None:
    assert not [entry.id for entry in catalog if entry.id and any("(s)" in text for text in texts(entry.id))]


def test_a_count_before_a_noun_is_a_plural_message(catalog: Catalog) -> None:
    single = [entry.id for entry in catalog if isinstance(entry.id, str) and entry.id not in SINGLE_FORM_FOR_NOW
              and any(_names_a_plural(match.group(1)) for match in COUNT_RE.finditer(entry.id))]
    assert not single, f"use ngettext (or N_plural) for these: {single}"


def test_japanese_has_one_plural_form(catalog: Catalog) -> None:
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    assert all(len(texts(entry.string)) == 1 for entry in catalog if entry.id and entry.pluralizable)

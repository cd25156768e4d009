"""Every message in the sources has a Japanese translation, and the pages switch language.

The extraction uses babel.cfg and the same keywords as `make translations`; nothing in
the working tree is written.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
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


# --- words built in Python outside the catalogue -------------------------------------------------
# Last sessions' report: the attendee export wrote 登録済み from code, where no check of the
# glossary sees it. Every word a person reads goes through gettext (N_ / _l where it is translated
# later); these are the literals of booking/ that are data, not words of the product.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
JAPANESE_DATA = {
    "booking/demo.py": None,  # the demo's own people, spaces and events (seeded content, typed per language)
    "booking/dates.py": {"y年M月d日(E)", "M月d日(E)", "y年M月d日(E) HH:mm", "y年M月", "日", "時間", "分"},
    "booking/forms.py": {"日本語"},  # the language's own name on the switch
    "booking/forms_events.py": {"無料"},  # the default of the Japanese fee field (content, both fields typed)
    "booking/services/public_events.py": {"無料"},
    "booking/models.py": {"無料"},
    "booking/views/events.py": {"無料"},
    "booking/domain/checkin.py": {r"[\s\-‐-―ー]"},  # the dashes a typed check-in code may hold
}
# A sentence a person reads: capitalised, three words or more, ending in a full stop.
ENGLISH_SENTENCE = re.compile(r"^[A-Z][a-z']+(?: [a-z'’,]+){2,}.*[.!?]$")
# The command line (flask setup, seed-demo, the job runner's options) speaks English to operators.
ENGLISH_FILES = {"booking/cli.py", "booking/jobs.py", "booking/demo.py"}
ENGLISH_DATA = {
    # the 503 page's last resort when no template can be rendered (the database is gone, Babel with it)
    ("booking/views/errors.py", "Service unavailable. Please try again in a few seconds."),
}
# Calls whose first argument a person reads: it must be a translated value, never a literal.
SHOWN_FIRST_ARGUMENT = {"flash", "to_xlsx", "to_csv"}


def _literals(path: Path) -> Iterator[tuple[ast.AST, str]]:
    """The string literals of a module with the node they sit in, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield parents.get(node, tree), node.value


def _in_gettext(parent: ast.AST) -> bool:
    name = getattr(getattr(parent, "func", None), "id", None) or getattr(getattr(parent, "func", None), "attr", None)
    return isinstance(parent, ast.Call) and name in set(KEYWORDS) | {"lazy_ngettext", "ngettext"}


def _not_for_people(parent: ast.AST) -> bool:
    """Log lines, exceptions and assertions are for developers."""
    func = getattr(parent, "func", None)
    name = getattr(func, "attr", None) or getattr(func, "id", None) or ""
    return name in {"debug", "info", "warning", "error", "exception"} or name.endswith("Error") \
        or isinstance(parent, ast.Assert)


def words_outside_the_catalogue() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "booking").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for parent, text in _literals(path):
            if _in_gettext(parent) or _not_for_people(parent):
                continue
            allowed = JAPANESE_DATA.get(name, set())
            if JAPANESE.search(text) and allowed is not None and text not in allowed:
                found.append((name, text))
            elif ENGLISH_SENTENCE.match(text) and name not in ENGLISH_FILES and (name, text) not in ENGLISH_DATA:
                found.append((name, text))
    return found


def test_no_word_a_person_reads_is_built_outside_the_catalogue() -> None:
    assert words_outside_the_catalogue() == [], "wrap these in _() / _l() / N_() and translate them"


def shown_literals() -> list[tuple[str, int]]:
    """flash("…"), to_xlsx("sheet", …), to_csv(["Name", …]): a literal where a translation belongs."""
    found = []
    for path in sorted((ROOT / "booking").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            literal = isinstance(first, ast.Constant | ast.JoinedStr) or (
                isinstance(first, ast.List | ast.Tuple) and any(isinstance(e, ast.Constant) for e in first.elts))
            if name in SHOWN_FIRST_ARGUMENT and literal:
                found.append((path.relative_to(ROOT).as_posix(), node.lineno))
    return found


def test_flash_messages_and_export_sheets_come_from_the_catalogue() -> None:
    """An xlsx sheet was named "attendees" / "bookings" in Japanese exports; flash() takes a translated text."""
    assert shown_literals() == []


def test_the_checks_of_words_in_code_see_the_reported_export_word(tmp_path: Path) -> None:
    module = tmp_path / "export.py"
    module.write_text('LABELS = {"registered": "登録済み"}\nflash("Saved.")\nto_xlsx("attendees", [], [])\n'
                      'MESSAGE = "Your booking was saved."\nOK = _("Your booking was saved.")\n', encoding="utf-8")
    texts = [text for parent, text in _literals(module) if not _in_gettext(parent)]
    assert "登録済み" in texts and "Your booking was saved." in texts
    assert sum(1 for parent, text in _literals(module) if _in_gettext(parent)) == 1

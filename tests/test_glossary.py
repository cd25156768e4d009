"""One term per concept (booking/translations/glossary.toml), and no generic form-library text.

The glossary lists, per concept, the Japanese and English term and their forbidden variants.
These tests fail on a forbidden variant in the catalogue or the templates, on a message that
names a concept in English but not in its Japanese translation, on an untranslated copy of an
English message, and on any WTForms message reaching a form of this product.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

from tests.hostile.values import form_classes

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "booking" / "translations"
GLOSSARY_FILE = tomllib.loads((TRANSLATIONS / "glossary.toml").read_text(encoding="utf-8"))
GLOSSARY = GLOSSARY_FILE["term"]
PUNCTUATION = GLOSSARY_FILE["punctuation"]
WTFORMS_JA = Path(__import__("wtforms").__file__).parent / "locale" / "ja" / "LC_MESSAGES" / "wtforms.po"


def _text(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else " ".join(value)


def _messages() -> list[tuple[str, str]]:
    with open(TRANSLATIONS / "ja" / "LC_MESSAGES" / "messages.po", "rb") as fileobj:
        catalog = read_po(fileobj, locale="ja")
    return [(_text(m.id), _text(m.string)) for m in catalog if m.id]


MESSAGES = _messages()
TEMPLATES = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
             for path in (ROOT / "templates").rglob("*") if path.is_file()}


def _word(term: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(term), re.IGNORECASE)


def _plain(text: str, term: dict) -> str:
    """The text without the term's compounds that name another concept (キャンセル待ち is the waiting list)."""
    for compound in term.get("compounds", []):
        text = text.replace(compound, "")
    return text


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda t: t["en"])
def test_no_forbidden_variant_in_the_catalogue_or_the_templates(term):
    found = [(msgid, text) for msgid, text in MESSAGES for bad in term["forbidden_ja"] if bad in _plain(text, term)]
    found += [(msgid, bad) for msgid, _ in MESSAGES for bad in term["forbidden_en"] if _word(bad).search(msgid)]
    found += [(name, bad) for name, text in TEMPLATES.items() for bad in term["forbidden_ja"]
              if bad in _plain(text, term)]
    assert found == [], f"use {term['ja']!r} / {term['en']!r} for: {term['concept']}"


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda t: t["en"])
def test_a_message_naming_a_concept_uses_its_japanese_term(term):
    accepted = [term["ja"], *term.get("ja_also", [])]
    found = [(msgid, text) for msgid, text in MESSAGES
             if _names_concept(msgid, term) and not any(a in text for a in accepted)]
    assert found == []


def _names_concept(msgid: str, term: dict) -> bool:
    """The English message names the term's concept (not a phrase of except_en: “reception desk”)."""
    text = _PLACEHOLDER.sub("", msgid)
    for phrase in term.get("except_en", []):
        text = re.sub(re.escape(phrase), "", text, flags=re.IGNORECASE)
    return bool(_word(term["en"]).search(text))


@pytest.mark.parametrize("term", [t for t in GLOSSARY if t.get("forbidden_ja_beside")], ids=lambda t: t["en"])
def test_a_message_naming_a_concept_never_uses_the_word_of_another(term):
    """Last sessions' report: desk counts were 24席中6席 beside デスク数; 席 is an event's seat."""
    found = [(msgid, text) for msgid, text in MESSAGES if _names_concept(msgid, term)
             and not any(_word(other).search(msgid) for other in term.get("unless_en", []))
             and any(bad in text for bad in term["forbidden_ja_beside"])]
    assert found == [], f"write {term['ja']!r}: {term['concept']}"


def test_the_desk_rule_catches_a_seat_counter():
    desk = next(t for t in GLOSSARY if t["en"] == "desk")
    assert _names_concept("%(count)s of %(total)s desks", desk) and not _names_concept("the reception desk", desk)
    assert any(bad in "24席中6席" for bad in desk["forbidden_ja_beside"])


def test_no_message_is_left_as_its_english_copy():
    copied = [msgid for msgid, text in MESSAGES if text == msgid and re.search(r"[A-Za-z]{3}", msgid)
              and msgid not in {"English", "NPO"}]
    assert copied == []


def test_the_glossary_catches_what_it_forbids():
    rejection = next(t for t in GLOSSARY if t["en"] == "reject")
    assert any(bad in "この予約は不承認です" for bad in rejection["forbidden_ja"])
    assert _word("reject").search("Reject the change") and not _word("reject").search("projector")
    member = next(t for t in GLOSSARY if t["en"] == "member")
    assert any(bad in "このメンバーの今後の予約" for bad in member["forbidden_ja"])
    assert any(bad in "会員のメールアドレス" for bad in member["forbidden_ja"])
    notice = next(t for t in GLOSSARY if t["en"] == "minimum notice")
    assert all(bad in notice["forbidden_ja"] for bad in ("受付締切", "申込期限"))
    hours = next(t for t in GLOSSARY if t["en"] == "opening hours")
    assert all(bad in hours["forbidden_ja"] for bad in ("利用可能時間", "営業時間"))
    required = next(t for t in GLOSSARY if t["en"] == "fill in")
    assert any(bad in "「氏名」をご入力ください。" for bad in required["forbidden_ja"])
    cancel = next(t for t in GLOSSARY if t["en"] == "cancel")
    assert "キャンセル" not in _plain("キャンセル待ち", cancel) and "キャンセル" in _plain("キャンセルしました", cancel)


# Where ASCII marks are data in Japanese text: times and their spans (15:00–17:00, 10:%(step)s),
# addresses, the format 時:分 and a date's weekday 2日(水). Placeholders become a digit first.
_JA_DATA = re.compile(r"\d\d:\d\d[–-]\d\d:\d\d|\d:\d|[a-z]+://|時:分|日\([月火水木金土日]\)")


def _ja_punctuation_faults(text: str) -> list[str]:
    """The ASCII marks and look-alikes that Japanese `text` should write as ：（）～."""
    if text.isascii():
        return []
    plain = _JA_DATA.sub("", re.sub(r"%\(\w+\)[sd]", "0", text))
    return [mark for mark in plain if mark in PUNCTUATION["ja_ascii"] or mark in PUNCTUATION["ja_forbidden"]]


def test_japanese_text_uses_full_width_colons_brackets_and_tildes():
    found = [(msgid, text) for msgid, text in MESSAGES if _ja_punctuation_faults(text)]
    assert found == [], "glossary.toml [punctuation]: write ：（）～ in Japanese text"


def test_a_number_and_its_counter_are_written_together():
    counter = re.compile(r"%\(\w+\)[sd] (?:" + "|".join(PUNCTUATION["ja_counters"]) + ")")
    found = [text for _, text in MESSAGES if counter.search(text)]
    assert found == [], "glossary.toml [punctuation]: 3件, not 3 件"


# A value beside Japanese text: no space between them (「%(name)sの開館時間」, 「時刻は%(zone)sです」).
_JA_CHAR = r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e「」、。・]"
_SPACED_VALUE = re.compile(r"%\(\w+\)[sd] +" + _JA_CHAR + "|" + _JA_CHAR + r" +%\(\w+\)[sd]")


def test_no_space_between_a_value_and_the_japanese_around_it():
    """Last sessions' report: 「%(name)s の開館時間」; Japanese puts no space before a particle."""
    found = [text for _, text in MESSAGES if _SPACED_VALUE.search(text)]
    assert found == [], "glossary.toml [punctuation]: 「%(name)sの開館時間」, not 「%(name)s の開館時間」"


@pytest.mark.parametrize(("text", "spaced"), [
    ("%(name)s の開館時間", True), ("時刻は %(zone)s です。", True), ("承認待ち %(count)s件", True),
    ("%(name)sの開館時間", False), ("%(page)s / %(pages)sページ", False), ("終日は 00:00-24:00 と書きます", False),
])
def test_the_spacing_rule_tells_a_spaced_value(text, spaced):
    assert bool(_SPACED_VALUE.search(text)) is spaced


# A length written by hand: 「%(slot)s分単位」, "%(slot)s-minute grid", "%(hours)s hours".
_HAND_DURATION_JA = re.compile(r"%\(\w+\)[sd](?:分|時間)")
_HAND_DURATION_EN = re.compile(r"%\(\w+\)[sd][- ](?:minutes?|min|hours?|h)\b")


def test_a_length_of_time_is_written_by_format_duration():
    """Last sessions' report: 「%(slot)s分単位」 / "%(slot)s-minute grid" wrote 60分, not 1時間.
    Pass Minutes(…) in a message's values, or minutes_text(…) in a template (booking.dates.format_duration)."""
    found = [(msgid, text) for msgid, text in MESSAGES
             if _HAND_DURATION_JA.search(text) or _HAND_DURATION_EN.search(msgid)]
    assert found == []


def test_the_duration_rule_catches_the_reported_grid_message():
    assert _HAND_DURATION_EN.search("Start and end must be on the %(slot)s-minute grid.")
    assert _HAND_DURATION_JA.search("%(slot)s分単位でご指定ください")
    assert not _HAND_DURATION_JA.search("%(days)s日先まで") and not _HAND_DURATION_EN.search("%(count)s days ahead")


def test_english_text_uses_curly_quotes():
    found = [msgid for msgid, _ in MESSAGES for mark in PUNCTUATION["en_forbidden"] if mark in msgid]
    assert found == [], "glossary.toml [punctuation]: quote with “…” in English"


# A translated label joined to a value in a template: {{ _("Door") }}: {{ title }} shows 受付: … in Japanese.
_LABEL_THEN_COLON = re.compile(r"""_\(\s*(["'])(?:(?!\1).)+\1\s*\)\s*}}:""")


def test_templates_join_a_label_and_its_value_through_the_catalogue():
    found = [name for name, text in TEMPLATES.items() if _LABEL_THEN_COLON.search(text)]
    assert found == [], 'write _("%(label)s: %(value)s", label=…, value=…): Japanese takes ：'


# A value put in brackets by a template: " ({{ x }})" stays ASCII in Japanese; {{ aside(x) }} writes （x）.
_VALUE_IN_BRACKETS = re.compile(r"\(\{\{(?:(?!}}).)*}}\)")


def test_templates_bracket_a_value_through_aside():
    found = [name for name, text in TEMPLATES.items() if _VALUE_IN_BRACKETS.search(text)]
    assert found == [], "write {{ aside(value) }} (pages) or {{ text_aside(value, aside) }} (mail): （…） in Japanese"


# A bracket as a string of its own in a template's expression: name ~ " (" ~ organisation ~ ")".
_BRACKET_LITERAL = re.compile(r"""(["'])\s?[(\[]\s?\1|(["'])\s?[)\]]\s?\2""")


def test_mail_and_pages_build_no_bracket_around_a_value():
    """Last sessions' report: mail wrote 「申請者: 山田 (株式会社サンプル)」, the organisation in ASCII brackets."""
    found = [name for name, text in TEMPLATES.items() if _BRACKET_LITERAL.search(text)]
    assert found == [], "write text_aside(name, organisation) (mail) or aside(…) (pages): （…） in Japanese"


# Brackets around a value built in Python that no person reads: SQL, the technical log of a mail,
# and the trail notes stored as data (booking.views.staff shows them through the catalogue).
_CODE_BRACKETS_ALLOWED = {
    ("booking/dates.py", "f'{text} ({aside})'"),
    ("booking/mail.py", "f'[attachment: {a.filename} ({a.content_type})]'"),
    ("booking/mail.py", "f'[attachment: {part.get_filename()} ({part.get_content_type()})]'"),
    ("booking/models.py", "f'{column} IN ({quoted})'"),
    ("booking/services/attendee_exports.py", "f'{file_format} ({len(rows)})'"),
    ("booking/services/attendee_mail.py", "f'{subject} ({len(people)})'"),
    ("booking/services/new_booking.py", None),
    ("booking/services/report_sql.py", None),
}


def _bracketed_values_in_code() -> list[tuple[str, str]]:
    """f-strings and concatenations of booking/ that put a value in ASCII brackets: f"{a} ({b})", "(" + b + ")"."""
    opens, closes = re.compile(r"[(\[]\s*$"), re.compile(r"^\s*[)\]]")
    found = []
    for path in sorted((ROOT / "booking").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = node.values
                hit = any(isinstance(a, ast.Constant) and isinstance(b, ast.FormattedValue)
                          and isinstance(c, ast.Constant) and opens.search(a.value) and closes.search(c.value)
                          for a, b, c in zip(parts, parts[1:], parts[2:], strict=False))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                hit = any(isinstance(side, ast.Constant) and isinstance(side.value, str)
                          and re.fullmatch(r"\s*[()\[\]]\s*", side.value) for side in (node.left, node.right))
            else:
                continue
            text = ast.unparse(node)
            if hit and (name, text) not in _CODE_BRACKETS_ALLOWED and (name, None) not in _CODE_BRACKETS_ALLOWED:
                found.append((name, text))
    return found


def test_code_brackets_a_value_through_with_aside():
    """Mail times wrote 「…15:00–17:00 (Asia/Tokyo)」 and the staff feed 「山田 (株式会社サンプル)」 from code."""
    assert _bracketed_values_in_code() == [], "use booking.dates.with_aside (（…） in Japanese, (…) in English)"


# Lists joined in code that no person reads as text: SQL, logs and CLI output, and the values of
# fields a person edits as data (desk numbers, opening periods typed back into a form).
_CODE_LIST_JOINS_ALLOWED = {
    ("booking/domain/values.py", None),  # plain_value: logs and untranslated text
    ("booking/models.py", None),
    ("booking/services/new_booking.py", None),
    ("booking/jobs.py", None),
    ("booking/services/admin_spaces.py", None),  # the opening-hours editor's field values
    ("booking/views/bookings.py", None),  # the booking edit form's desk-number field value
    ("booking/domain/recurrence.py", None),  # RRULE text
    ("booking/itip.py", None),  # iCalendar parameters
    ("booking/services/report_sql.py", None),
    # A trail entry's changes, each itself holding a list (desk numbers): not yet per language (bk21 report).
    ("booking/views/staff.py", "'; '.join"),
}
_LIST_SEPARATOR = re.compile(r"^\s*[,、;／/]\s*$")


def _lists_joined_in_code() -> list[tuple[str, str]]:
    """`", ".join(…)` (or 「、」, "; ", "/") in booking/: a list joined with a fixed separator."""
    found = []
    for path in sorted((ROOT / "booking").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name == "booking/dates.py" or (name, None) in _CODE_LIST_JOINS_ALLOWED:
            continue  # booking.dates.join_list is the one place a list for people is joined
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
                    and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
                    and _LIST_SEPARATOR.match(node.func.value.value)
                    and (name, ast.unparse(node.func)) not in _CODE_LIST_JOINS_ALLOWED):
                found.append((name, ast.unparse(node)))
    return found


_TEMPLATE_LIST_JOIN = re.compile(r"""\|\s*join\(\s*(["'])\s*[,、;/]\s*\1\s*\)""")


def test_lists_for_people_are_joined_per_language_by_join_list():
    """bk21 item 6: 「デスク番号：1, 2, 3, 4」 (feed), 「開館時間は09:00–12:00, 13:00–20:00」 (refusal),
    「デスク1, 2」 (policy victims): Japanese joins with 「、」. Code uses booking.dates.join_list or
    Listed (a message value), templates the `listed` filter."""
    assert _lists_joined_in_code() == [], "use booking.dates.join_list, or Listed(...) in a message's values"
    found = [name for name, text in TEMPLATES.items() if _TEMPLATE_LIST_JOIN.search(text)]
    assert found == [], "write {{ items | listed }}"


_TEMPLATE_RANGE = re.compile(r"}}\s?[–～〜]\s?{{")


def _ranges_built_in_code() -> list[tuple[str, str]]:
    """f-strings of booking/ that put a dash or a wave dash between two values: f"{a}–{b}"."""
    found = []
    for path in sorted((ROOT / "booking").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in ("booking/dates.py", "booking/domain/values.py"):
            continue  # format_range, and plain_value for logs
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = node.values
                if any(isinstance(a, ast.FormattedValue) and isinstance(b, ast.Constant)
                       and re.fullmatch(r"\s?[–～〜]\s?", str(b.value)) and isinstance(c, ast.FormattedValue)
                       for a, b, c in zip(parts, parts[1:], parts[2:], strict=False)):
                    found.append((name, ast.unparse(node)))
    return found


def test_ranges_are_written_by_format_range():
    """bk21 item 6: pages, mails and feeds wrote 10:00–11:00 in Japanese, the refusals 10:00～11:00, the
    registration window 「… 23:06 – 2026年12月8日(火) 17:00」: one way, 「～」 in Japanese (glossary.toml)."""
    assert _ranges_built_in_code() == [], "use booking.dates.format_range, or Range(...) in a message's values"
    found = [name for name, text in TEMPLATES.items() if _TEMPLATE_RANGE.search(text)]
    assert found == [], "write {{ time_range(first, last) }}"


@pytest.mark.parametrize(("locale", "span", "window"), [
    ("ja", "2026年12月2日(水) 10:00～11:00", "2026年11月29日(日) 23:06～2026年12月8日(火) 17:00"),
    ("en", "Wed 2 Dec 2026, 10:00–11:00", "Sun 29 Nov 2026, 23:06 – Tue 8 Dec 2026, 17:00"),
])
def test_format_range_writes_one_style_per_language(locale, span, window):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from booking.dates import format_range, format_span, format_when

    tokyo = ZoneInfo("Asia/Tokyo")
    assert format_span(datetime(2026, 12, 2, 10, tzinfo=tokyo), datetime(2026, 12, 2, 11, tzinfo=tokyo),
                       "Asia/Tokyo", locale) == span
    opens, closes = datetime(2026, 11, 29, 23, 6, tzinfo=tokyo), datetime(2026, 12, 8, 17, tzinfo=tokyo)
    assert format_range(format_when(opens, "Asia/Tokyo", locale), format_when(closes, "Asia/Tokyo", locale),
                        locale) == window


def test_the_list_rule_catches_the_reported_joins():
    tree = ast.parse('", ".join(str(u) for u in units)')
    call = tree.body[0].value  # type: ignore[attr-defined]
    assert _LIST_SEPARATOR.match(call.func.value.value)
    assert _TEMPLATE_LIST_JOIN.search("{{ booking.unit_numbers | join(', ') }}")
    assert not _TEMPLATE_LIST_JOIN.search("{{ parts | join('') }}")


@pytest.mark.parametrize(("locale", "shown"), [("ja", "1、2、3"), ("en", "1, 2, 3")])
def test_join_list_and_listed_values_join_per_language(locale, shown):
    from booking.dates import join_list, localise
    from booking.domain.values import Listed

    assert join_list([1, 2, 3], locale) == shown
    assert localise({"units": Listed((1, 2, 3))}, locale) == {"units": shown}


def test_the_hours_refusal_lists_the_opening_periods_with_japanese_commas():
    from datetime import UTC, datetime

    from booking.dates import localise
    from booking.domain.rules import describe_periods
    from booking.domain.values import Policy

    policy = Policy(timezone="Asia/Tokyo")
    periods = [(datetime(2026, 12, 2, 0, tzinfo=UTC), datetime(2026, 12, 2, 3, tzinfo=UTC)),
               (datetime(2026, 12, 2, 4, tzinfo=UTC), datetime(2026, 12, 2, 11, tzinfo=UTC))]
    shown = localise({"periods": describe_periods(periods, policy)}, "ja")["periods"]
    assert shown == "09:00～12:00、13:00～20:00"


def test_the_demo_data_writes_lengths_by_format_duration_and_the_glossary_terms():
    """bk21 item 6: the hall's description said 「前後60分の準備・撤収時間」 / "60 minutes"."""
    from booking.demo import SPACES

    texts = [str(space[key]) for space in SPACES for key in ("description_ja", "description_en")]
    # format_duration writes 1時間 / 1 h, never 60分 or "60 minutes"
    assert not [text for text in texts if re.search(r"\d+ minutes?\b|(?<!\d)([6-9]\d|\d{3,})分", text)]
    assert "前後1時間の準備・片付け時間" in " ".join(texts)
    forbidden = [bad for term in GLOSSARY for bad in term["forbidden_ja"] for text in texts if bad in text]
    assert forbidden == []


def test_with_aside_writes_full_width_brackets_in_japanese():
    from booking.dates import with_aside

    assert with_aside("山田 花子", "株式会社サンプル", "ja") == "山田 花子（株式会社サンプル）"
    assert with_aside("Hanako", "Sample Ltd", "en") == "Hanako (Sample Ltd)"
    assert with_aside("Hanako", "", "ja") == "Hanako"


@pytest.mark.parametrize(("text", "faults"), [
    ("送信待ち: %(count)s 件", [":"]),
    ("繰り返し予約：%(title)s(%(count)s 日程)", ["(", ")"]),
    ("%(first)s–%(last)s 件目", ["–"]),
    ("0〜1", ["〜"]),
    ("開始・終了時刻は10:00、10:%(step)s（例：https://example.jp）", []),
    ("時刻を「時:分」の形で（例：15:00）、2026年12月2日(水) 15:00～17:00", []),
    ("Decide by: (soon)", []),
])
def test_the_punctuation_rule_tells_data_from_text(text, faults):
    assert _ja_punctuation_faults(text) == faults


def _library_messages() -> set[str]:
    """Every message WTForms ships (English) and its Japanese translation."""
    with open(WTFORMS_JA, "rb") as fileobj:
        catalog = read_po(fileobj, locale="ja")
    found = set()
    for message in catalog:
        if message.id:
            found |= {_text(message.id), _text(message.string)}
    return {m for m in found if m}


LIBRARY = _library_messages()
# Forms that need to know what they choose from.
REQUIRED_ARGUMENTS = {"ClosureForm": {"spaces": [(1, "Studio")]}, "CancelHitForm": {"booking_ids": [1, 2]}}
BAD_VALUES = ("", "x" * 6000, "not-a-value", "-5", "99999999", "2026-02-30", "25:99")


def _bad_posts(form_class):
    names = [name for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField)]
    for value in BAD_VALUES:
        yield MultiDict({name: value for name in names})


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("form_class", form_classes(), ids=lambda cls: cls.__qualname__)
def test_no_form_shows_a_generic_library_message(app, form_class, locale):
    shown = set()
    for data in _bad_posts(form_class):
        with app.test_request_context("/", method="POST", headers={"Accept-Language": locale}):
            from flask_babel import refresh

            refresh()
            form = form_class(formdata=data, meta={"csrf": False}, **REQUIRED_ARGUMENTS.get(form_class.__name__, {}))
            form.validate()
            for errors in form.errors.values():
                shown |= {str(e) for e in (errors if isinstance(errors, list) else [errors])}
    leaked = sorted(e for e in shown if e in LIBRARY or any(e.startswith(m.split("%")[0]) and "%" in m
                                                            and len(m.split("%")[0]) > 8 for m in LIBRARY))
    assert leaked == [], "word these in booking/fields.py (the product's own messages)"


def _names(message: str, label: str) -> bool:
    """The message starts with the label, or quotes it (“Title” takes…, 「件名」を…)."""
    return message.startswith(label) or f"“{label}”" in message or f"「{label}」" in message


def _label_repeats(app, form_class, locale):
    """(field label, message) where a field's message names the field's own label."""
    found = set()
    for data in _bad_posts(form_class):
        with app.test_request_context("/", method="POST"):
            from flask_babel import force_locale

            with force_locale(locale):
                form = form_class(formdata=data, meta={"csrf": False},
                                  **REQUIRED_ARGUMENTS.get(form_class.__name__, {}))
                form.validate()
                for name, errors in form.errors.items():
                    if not name or name not in form or not isinstance(errors, list):
                        continue
                    label = str(form[name].label.text).strip().casefold()
                    found |= {(label, str(e)) for e in errors if label and _names(str(e).casefold(), label)}
    return sorted(found)


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("form_class", form_classes(), ids=lambda cls: cls.__qualname__)
def test_no_field_message_repeats_the_label_the_error_summary_puts_before_it(app, form_class, locale):
    """Break-it report 16, item 7: "Expected attendees: Expected attendees: a number of people…".
    templates/_error_summary.html writes 「label：message」, so a message never names its own field."""
    assert _label_repeats(app, form_class, locale) == []


def test_the_label_rule_catches_the_reported_repeat():
    assert _names("expected attendees: a number of people from 0 to 10000.", "expected attendees")
    assert _names("「氏名」を入力してください。", "氏名")
    assert not _names("enter a date as year-month-day, e.g. 2026-12-02.", "date")

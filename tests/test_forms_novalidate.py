"""Every form of the product checks its input on the server, in the page's language, with the
error summary (templates/_error_summary.html): the browser's own check would stop the submit with
a bubble in the browser's language and refuse input the server reads, such as a full-width e-mail
address (break-it round 2, 2026-11-30: the event registration and the attendees' forms)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORM_TAG = re.compile(r"<form\b[^>]*>", re.S)


def test_every_form_in_the_templates_turns_the_browsers_own_check_off():
    tags = [(path.relative_to(TEMPLATES), tag) for path in sorted(TEMPLATES.rglob("*.html"))
            for tag in FORM_TAG.findall(path.read_text(encoding="utf-8"))]
    assert len(tags) > 40
    assert [(str(path), tag) for path, tag in tags if not re.search(r"\snovalidate[\s>]", tag)] == []

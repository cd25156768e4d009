"""Reading the error summary of a page (templates/_error_summary.html) in view tests."""

from __future__ import annotations

import html
import re

SUMMARY_RE = re.compile(r'<section class="error-summary" id="error-summary"[^>]*>(.*?)</section>', re.S)
ITEM_RE = re.compile(r"<li>(.*?)</li>", re.S)
HREF_RE = re.compile(r'href="#([^"]+)"')


def summary_items(page: str) -> list[tuple[str, str]]:
    """(target id or "", text) of each line of the page's error summary; [] when it has none."""
    found = SUMMARY_RE.search(page)
    if found is None:
        return []
    items = []
    for item in ITEM_RE.findall(found.group(1)):
        target = HREF_RE.search(item)
        items.append((target.group(1) if target else "", html.unescape(re.sub(r"<[^>]+>", "", item)).strip()))
    return items


def summary_targets(page: str) -> list[str]:
    return [target for target, _text in summary_items(page)]


def is_summary_first(page: str) -> bool:
    """The summary opens the main content (before the page's heading), where the focus is put."""
    main = page.index('<main id="main"')
    return main < page.index('id="error-summary"') < page.index("<h1", main)


def is_in_page_order(page: str, targets: list[str]) -> bool:
    places = [page.index(f'id="{target}"', page.index("</section>", page.index('id="error-summary"')))
              for target in targets]
    return places == sorted(places)


def field_is_invalid(page: str, field_id: str, message: str) -> bool:
    """The field is aria-invalid and described by its errors, which hold `message`."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    errors = re.search(rf'<div id="{re.escape(field_id)}-errors">(.*?)</div>', page, re.S)
    return bool(tag and 'aria-invalid="true"' in tag.group(0) and f'aria-describedby="{field_id}-errors"'
                in tag.group(0) and errors and message in html.unescape(errors.group(1)))

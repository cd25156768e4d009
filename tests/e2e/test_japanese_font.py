"""Japanese is drawn in a Japanese font, never as boxes (issue 16, point 6: Japanese fonts present).

On a machine without a Japanese font Chromium draws every kanji and kana as the same empty box
(the font's .notdef glyph, "tofu"), and the phone screenshots showed nothing but boxes. The
detector draws one character at a time in a canvas with the page's own font stack and compares
its pixels with those of unassigned code points, which no font has: a character that looks like
them is a box. It checks every character of the Japanese catalogue and of the pages' text.

The detector is shown to fail: a private-use character is a box, and so is 予 in a second
Chromium whose fontconfig sees only the machine's fonts without Japanese. `make test` installs
Debian's fonts-noto-cjk when `fc-list :lang=ja` is empty; this test does not skip without it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, Playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, screenshot

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "booking" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
PHONE = {"width": 320, "height": 640}
BOXES = "\u0378\u0379"  # unassigned: every font lacks them, so they are drawn as the missing-glyph box

# The characters among `text` drawn like the unassigned code points (the box), with the font stack
# of the page's body; whitespace draws nothing and is left out.
FIND_BOXES = """([text, boxes]) => {
  const size = 48;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.font = '32px ' + getComputedStyle(document.body).fontFamily;
  ctx.textBaseline = 'top';
  const ink = c => {
    ctx.clearRect(0, 0, size, size);
    ctx.fillText(c, 4, 4);
    const pixels = ctx.getImageData(0, 0, size, size).data;
    let shape = '';
    for (let i = 3; i < pixels.length; i += 4) shape += pixels[i] > 127 ? '#' : '.';
    return shape + ' ' + ctx.measureText(c).width;
  };
  const box = new Set([...boxes].map(ink));
  if (box.size !== 1) return ['the unassigned code points differ: no reference box'];
  const [shape] = box;
  return [...new Set(text)].filter(c => c.trim() && ink(c) === shape);
}"""


def boxes_in(page: Page, text: str) -> list[str]:
    return list(page.evaluate(FIND_BOXES, [text, BOXES]))


def catalogue_text() -> str:
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    return "".join(s for m in catalog if m.id for s in ((m.string,) if isinstance(m.string, str) else m.string) if s)


def japanese_families() -> set[str]:
    listed = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=False).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}


def fonts_drawing(page: Page, selector: str) -> list[str]:
    """The platform fonts Chromium used for the text of `selector` (DevTools' "Rendered Fonts")."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [font["familyName"] for font in fonts]


@pytest.fixture
def floor(create_space) -> Any:
    return create_space(slug="tsulunos", name_ja="tsulunós 映像・配信スタジオ（収録・生配信）",
                        name_en="tsulunós video and broadcast studio", requires_approval=True,
                        description_ja="ガラス張りの映像・配信スタジオ。照明とカメラの準備に前後30分を確保します。")


def test_every_japanese_character_of_the_catalogue_and_the_pages_has_a_glyph(
        new_page: Callable[..., Page], floor: Any) -> None:
    page = new_page(viewport=PHONE)
    text = catalogue_text()
    for path in ("/", "/spaces/tsulunos", "/login", "/register"):
        page.goto(path)
        text += page.locator("body").inner_text()
    assert "予" in text and len(set(text)) > 500
    assert boxes_in(page, text) == []
    screenshot(page, "phone-japanese-font-register")
    drawn_in = fonts_drawing(page, "h1")
    assert set(drawn_in) & japanese_families(), f"the heading is drawn in {drawn_in}, no font listed for Japanese"


def test_the_detector_finds_a_private_use_character_drawn_as_a_box(page: Page, floor: Any) -> None:
    page.goto("/spaces/tsulunos")
    assert boxes_in(page, "予約\ue000") == ["\ue000"]


def test_without_a_japanese_font_the_detector_finds_the_kanji_drawn_as_boxes(
        playwright: Playwright, live_server: str, floor: Any, tmp_path: Path) -> None:
    """A second Chromium whose fontconfig holds only the machine's fonts that lack Japanese."""
    japanese = set(subprocess.run(["fc-list", ":lang=ja", "file"], capture_output=True, text=True,
                                  check=True).stdout.replace(":", "").split())
    others = subprocess.run(["fc-list", ":", "file"], capture_output=True, text=True, check=True).stdout
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for n, file in enumerate(sorted(set(others.replace(":", "").split()) - japanese)):
        (fonts / f"{n}-{Path(file).name}").symlink_to(file)
    assert any(fonts.iterdir()), "no font without Japanese on this machine"
    config = tmp_path / "fonts.conf"
    config.write_text(f"<?xml version='1.0'?>\n<fontconfig><dir>{fonts}</dir>"
                      f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                         env={"FONTCONFIG_FILE": str(config), "HOME": str(tmp_path)})
    try:
        page = browser.new_page(base_url=live_server, locale="ja-JP")
        page.set_default_timeout(TIMEOUT_MS)
        page.goto("/spaces/tsulunos")
        assert boxes_in(page, "予約 Studio") == ["予", "約"]
    finally:
        browser.close()

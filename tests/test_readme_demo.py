"""The README names every account the demo seed creates, and counts them right."""

from __future__ import annotations

import re
from pathlib import Path

from booking.demo import DEMO_USERS, OTHER_MEMBERS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


def test_every_seeded_account_is_in_the_readme():
    for email, *_rest in DEMO_USERS + OTHER_MEMBERS:
        assert f"{email}" in README, email


def test_the_readme_counts_the_seeded_accounts():
    counts = [NUMBERS[word] for word in re.findall(r"\b(two|three|four|five|six|seven) demo accounts", README)]
    assert counts and set(counts) == {len(DEMO_USERS + OTHER_MEMBERS)}

"""The password rule (ASVS V2.1.1, V2.1.2, V2.1.7): length, then common or guessable passwords."""

from __future__ import annotations

import pytest

from booking.domain.passwords import MAX_LENGTH, MIN_LENGTH, TOO_COMMON, TOO_LONG, TOO_SHORT, password_problem


@pytest.mark.parametrize("password", ["a", "1234567890", "short pass!"])
def test_passwords_under_twelve_characters_are_refused(password):
    problem = password_problem(password)
    assert problem is not None and problem.message == TOO_SHORT and problem.params == {"min": MIN_LENGTH}


@pytest.mark.parametrize("password", ["password1234", "123456789012", "qwertyuiopas", "iloveyou2024",
                                      "aaaaaaaaaaaa", "password12345678"])
def test_common_and_breached_passwords_are_refused(password):
    problem = password_problem(password)
    assert problem is not None and problem.message == TOO_COMMON


def test_a_password_made_of_the_users_own_address_is_refused():
    assert password_problem("hanako@example.jp!") is None
    problem = password_problem("hanako@example.jp!", ["Hanako@Example.jp", "山田 花子"])
    assert problem is not None and problem.message == TOO_COMMON


@pytest.mark.parametrize("password", ["correct horse battery", "a long enough secret", "Tr0ub4dor&3xx",
                                      "x" * 3 + "ふじさん 登山 2026 夏休み"])
def test_long_uncommon_passwords_and_phrases_are_accepted(password):
    assert password_problem(password) is None


def test_sixty_four_characters_are_allowed_and_more_than_128_refused():
    phrase = "seven blue otters argue quietly about jazz under the old bridge!"
    assert len(phrase) == 64 and password_problem(phrase) is None
    assert password_problem((phrase * 2)[:MAX_LENGTH]) is None
    problem = password_problem(phrase * 3)
    assert problem is not None and problem.message == TOO_LONG and problem.params == {"max": MAX_LENGTH}


def test_a_password_made_of_parts_of_the_users_address_is_refused():
    address = "Zqvorbex.Kelmundra@Plixo.example"
    assert password_problem("plixokelmundra") is None
    problem = password_problem("plixokelmundra", [address])
    assert problem is not None and problem.message == TOO_COMMON


def test_known_words_are_split_at_spaces_at_signs_and_dots_lower_cased_and_three_letters_at_least():
    from booking.domain.passwords import _pieces

    assert _pieces(" Ozu Li.Kelmundra@Plixo.example ") == [
        "ozu li.kelmundra@plixo.example", "ozu", "kelmundra", "plixo", "example"]


def test_a_password_zxcvbn_scores_exactly_three_is_accepted():
    from zxcvbn import zxcvbn

    known = "Zqvorbex.Kelmundra@Plixo.example"
    words = ["zqvorbex.kelmundra@plixo.example", "zqvorbex", "kelmundra", "plixo", "example"]
    assert zxcvbn("kelmundraplixo!", user_inputs=words)["score"] == 3
    assert password_problem("kelmundraplixo!", [known]) is None

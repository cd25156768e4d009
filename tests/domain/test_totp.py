"""TOTP codes (RFC 6238, ASVS V2.8): the drift window, and no code accepted twice."""

from __future__ import annotations

import pyotp
import pytest

from booking.domain.totp import matching_step, time_step

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_790_000_015.0  # 15 s into a time step


def code_at(ts: float) -> str:
    return pyotp.TOTP(SECRET).at(ts)


def test_the_current_code_matches_its_step():
    assert matching_step(SECRET, code_at(NOW), NOW, None) == time_step(NOW)


@pytest.mark.parametrize("offset", [-30, 30])
def test_a_neighbouring_step_is_accepted_for_clock_drift(offset):
    assert matching_step(SECRET, code_at(NOW + offset), NOW, None) == time_step(NOW + offset)


@pytest.mark.parametrize("offset", [-90, -60, 60, 90])
def test_codes_further_away_are_refused(offset):
    assert matching_step(SECRET, code_at(NOW + offset), NOW, None) is None


def test_a_code_once_accepted_is_refused_after():
    step = matching_step(SECRET, code_at(NOW), NOW, None)
    assert step is not None
    assert matching_step(SECRET, code_at(NOW), NOW, step) is None
    assert matching_step(SECRET, code_at(NOW - 30), NOW, step) is None  # older codes too
    assert matching_step(SECRET, code_at(NOW + 30), NOW + 30, step) == step + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "１２３４５６"])
def test_malformed_codes_are_refused(typed):
    assert matching_step(SECRET, typed, NOW, None) is None


def test_spaces_inside_a_code_are_ignored():
    code = code_at(NOW)
    assert matching_step(SECRET, f" {code[:3]} {code[3:]} ", NOW, None) == time_step(NOW)

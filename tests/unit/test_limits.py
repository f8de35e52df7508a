"""SPEC §13's bounded checks, by themselves: each refusal happens before the costly conversion would."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import re2
from hypothesis import given
from hypothesis import strategies as st

from accord.domain import gates, limits
from accord.domain.errors import ValidationError
from accord.domain.numbers import exact, in_unit_interval


class Unconverted:
    """Stands in for a converter that must not run: calling it fails the test."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{self.name} was called on input the bounded check should have refused")


class UnconvertedFraction(Fraction):
    """Fraction, as `limits` sees it, for inputs that must never reach it."""

    def __new__(cls, *args: Any, **kwargs: Any) -> UnconvertedFraction:
        raise AssertionError("a Fraction was made of input the bounded check should have refused")


@pytest.mark.parametrize(
    "value",
    ["1e10000000", "1e31", "1e-31", "0." + "1" * 31, "9" * 33, " " * 40 + "1", "1" * 10_000_000],
)
def test_a_decimal_is_refused_before_it_becomes_a_fraction(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "Fraction", UnconvertedFraction)
    with pytest.raises(ValidationError, match=r"^confidence must be a decimal number of at most 32 characters"):
        limits.decimal(value, "confidence")


def test_the_text_quoted_back_is_cut() -> None:
    with pytest.raises(ValidationError) as refused:
        limits.decimal("1" * 10_000_000, "weight")
    assert refused.value.message.endswith("… (10000000 characters)")
    assert len(refused.value.message) < 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.7", Fraction(7, 10)),
        (0.7, Fraction(7, 10)),
        ("1e30", Fraction(10**30)),
        ("1E-30", Fraction(1, 10**30)),
        (" 2/3 ", Fraction(2, 3)),
        ("." + "5" * 31, Fraction(int("5" * 31), 10**31)),
        (10**30, Fraction(10**30)),
        (-3, Fraction(-3)),
    ],
)
def test_decimals_within_the_limits_are_exact(value: Any, expected: Fraction) -> None:
    assert limits.decimal(value, "weight") == expected


@pytest.mark.parametrize("value", [True, False, float("inf"), float("nan"), 1e300, 10**31, "1/0", "0x10", "", None])
def test_what_is_not_a_bounded_decimal_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        exact(value, "threshold")
    assert refused.value.details["field"] == "threshold"
    assert refused.value.message.startswith("threshold must be ")


def test_a_boolean_is_never_a_number() -> None:
    with pytest.raises(ValidationError, match=r"^confidence must be a number, not a boolean$"):
        in_unit_interval(True, "confidence", allow_zero=True)
    with pytest.raises(
        ValidationError, match=r"^min_votes must be a whole number from 0 to 9007199254740992, got True"
    ):
        limits.integer(True, "min_votes")


@given(st.text(max_size=40))
def test_any_short_text_is_a_fraction_or_a_validation_error(value: str) -> None:
    try:
        assert isinstance(limits.decimal(value, "quorum"), Fraction)
    except ValidationError as exc:
        assert exc.details["field"] == "quorum"


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (lambda v: limits.integer(v, "after"), 2**53 + 1, "after must be a whole number from 0 to 9007199254740992"),
        (lambda v: limits.integer(v, "after"), -1, "after must be a whole number from 0 to 9007199254740992"),
        (lambda v: limits.integer(v, "after"), 1.0, "after must be a whole number"),
        (lambda v: limits.wait_seconds(v, "timeout"), 3601, "timeout must be 0-3600 seconds, got 3601"),
        (lambda v: limits.wait_seconds(v, "timeout"), True, "timeout must be 0-3600 seconds, got True"),
        (lambda v: limits.wait_seconds(v, "wait"), float("nan"), "wait must be 0-3600 seconds, got nan"),
        (lambda v: limits.ttl_seconds(v, "ttl_seconds"), 0, "ttl_seconds must be a whole number of seconds from 1"),
        (lambda v: limits.ttl_seconds(v, "ttl_seconds"), 31 * 86400 + 1, "from 1 to 2678400 (31 days)"),
        (lambda v: limits.ttl_seconds(v, "ttl_seconds"), 1.5, "ttl_seconds must be a whole number of seconds"),
    ],
)
def test_integers_waits_and_ttls_name_their_range(check: Any, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check(value)


def test_the_edges_of_each_range_are_allowed() -> None:
    assert limits.integer(2**53, "after") == 2**53
    assert limits.wait_seconds(3600, "timeout") == 3600.0
    assert limits.wait_seconds(0, "timeout") == 0.0
    assert limits.ttl_seconds(31 * 86400, "ttl_seconds") == 31 * 86400
    assert limits.ttl_seconds(60.0, "ttl_seconds") == 60


@pytest.mark.parametrize(
    ("value", "where", "what"),
    [
        ({"title": "a\x00b"}, "title", "a NUL character"),
        (
            {"checkpoints": [{"title": "ok"}, {"title": "x\ud800"}]},
            "checkpoints[1].title",
            "a lone surrogate (\\ud800)",
        ),
        ({"tags": ["fine", "\udfff"]}, "tags[1]", "a lone surrogate (\\udfff)"),
        ({"payload": {"k\x00": 1}}, "a key of payload", "a NUL character"),
    ],
)
def test_bad_text_is_found_anywhere_and_named_by_its_path(value: Any, where: str, what: str) -> None:
    with pytest.raises(ValidationError) as refused:
        limits.check_input(value, "")
    assert refused.value.message.startswith(f"{where} must be valid Unicode text without NUL characters")
    assert what in refused.value.message


def test_text_that_is_fine_passes_including_pairs_and_emoji() -> None:
    limits.check_input({"title": "déploiement 🚀", "n": 2**53, "flags": [True, None, 1.5]}, "")
    limits.check_input({"payload": {"n": 2**60}}, "", integers=False)  # opaque JSON keeps its own rule


def test_huge_integers_name_the_fields_own_range_and_deep_nesting_is_walked_without_recursion() -> None:
    with pytest.raises(ValidationError, match=r"^default_timeout_seconds must be a whole number of seconds from 1"):
        limits.check_input(2**70, "default_timeout_seconds")
    with pytest.raises(ValidationError, match=r"^checkpoints\[0\]\.order must be a whole number from 1 to"):
        limits.check_input([{"order": 2**70}], "checkpoints")
    nested: Any = "\x00"
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(ValidationError, match="NUL"):
        limits.check_input(nested, "deep")


def test_a_long_pattern_is_refused_before_re2_compiles_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(re2, "compile", Unconverted("re2.compile"))
    with pytest.raises(ValidationError, match=r"^irreversible_pattern is 257 characters; at most 256 allowed$"):
        limits.pattern("(a+)+" + "a" * 252)


def test_patterns_are_re2_patterns() -> None:
    # RE2 syntax Python's `re` rejects (`\pN`: any digit) is accepted and matched; backreferences are refused.
    assert limits.pattern(r"deploy\pN") == r"deploy\pN"
    assert gates.is_irreversible("DEPLOY7", r"deploy\pN")
    with pytest.raises(ValidationError, match=r"^irreversible_pattern is not a valid RE2 pattern: invalid escape"):
        limits.pattern(r"(a)\1")
    with pytest.raises(ValidationError, match="NUL"):
        limits.pattern("a\x00")


def test_a_backtracking_pattern_is_answered_by_re2() -> None:
    # With Python's `re` this search takes ~53 s (issue 9); RE2 matches in time linear in the subject.
    assert gates.is_irreversible("a" * 29 + "?", "(a+)+$") is False
    assert gates.is_irreversible("a" * 100_000, "(a+)+$") is True


def test_a_stored_pattern_re2_cannot_compile_holds_every_subject_irreversible() -> None:
    assert gates.is_irreversible("lint", r"(x)\1") is True  # fail closed: the stricter threshold

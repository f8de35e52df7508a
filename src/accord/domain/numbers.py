"""Exact numbers: every weight, confidence, threshold and quorum becomes a Fraction from its decimal text."""

from __future__ import annotations

from fractions import Fraction

from accord.domain import limits
from accord.domain.errors import ValidationError

Number = int | float | str | Fraction


def exact(value: Number, name: str) -> Fraction:
    """Return `value` as an exact Fraction (0.7 is 7/10), or raise ValidationError naming `name`.

    Bounded before any conversion (SPEC §13, `limits.decimal`): text of at most 32 characters, exponent -30..30,
    never a boolean."""
    return limits.decimal(value, name)


def in_unit_interval(value: Number, name: str, *, allow_zero: bool) -> Fraction:
    """Return `value` exactly, refusing anything outside [0, 1] (or (0, 1] when zero is not allowed)."""
    f = exact(value, name)
    low_ok = f >= 0 if allow_zero else f > 0
    if not (low_ok and f <= 1):
        allowed = "0.0-1.0" if allow_zero else "greater than 0 and at most 1"
        raise ValidationError(f"{name} must be {allowed}, got {value}", field=name, allowed=allowed)
    return f


def positive(value: Number, name: str) -> Fraction:
    """Return `value` exactly, refusing zero and negatives."""
    f = exact(value, name)
    if f <= 0:
        raise ValidationError(f"{name} must be greater than 0, got {value}", field=name)
    return f


def as_float(f: Fraction, places: int = 4) -> float:
    """Report a Fraction as a float rounded to `places` (reported only, never compared)."""
    return round(float(f), places)


def fraction_text(f: Fraction) -> str:
    """Shortest exact text for a Fraction: '0.7' when it is a short decimal, else '2/3'."""
    d = f.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        text = f"{float(f)!r}" if f.denominator != 1 else str(f.numerator)
        if Fraction(text) == f:
            return text
    return f"{f.numerator}/{f.denominator}"

"""Limits on input (SPEC §13): every bound a member's input must keep, checked before any conversion.

The work to refuse an input is bounded by the input's length, never by its value: a decimal's text is measured
before it becomes a Fraction (Fraction("1e10000000") computes 10**10000000), an integer's range is compared before
it reaches the store, a pattern's length is measured before RE2 compiles it. Each refusal is a ValidationError
naming the field and its own range. Every face and every service gets these rules from here.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import Any

import re2

from accord.domain.errors import ValidationError

MAX_DECIMAL_TEXT = 32  # characters of a decimal's text
MAX_EXPONENT = 30  # |exponent| of a decimal
MAX_INTEGER = 2**53  # ids, counts and rounds (the largest integer every JSON reader keeps exactly)
MAX_WAIT_SECONDS = 3600  # blocking waits (`timeout`, `wait`)
MIN_TTL_SECONDS = 1
MAX_TTL_SECONDS = 31 * 24 * 3600  # gate, claim, message and policy timeouts and TTLs
MAX_PATTERN = 256  # characters of a pattern (`irreversible_pattern`)
MAX_BODY_BYTES = 1024 * 1024  # a request body (413 beyond)
SIGN_IN_FAILURES = "10/minute"  # failed sign-ins per client address (429 beyond), in `limits` notation
MAX_SHOWN = 40  # characters of a refused value quoted back in a message

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE](?P<exp>[+-]?\d+))?")
_RATIO = re.compile(r"[+-]?\d+/\d+")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
DECIMAL_RULE = (
    f"a decimal number of at most {MAX_DECIMAL_TEXT} characters with an exponent from -{MAX_EXPONENT} to {MAX_EXPONENT}"
)


def shown(value: object) -> str:
    """`value` as quoted back in a refusal: its repr, cut to MAX_SHOWN characters."""
    if isinstance(value, str) and len(value) > MAX_SHOWN:
        return repr(value[:MAX_SHOWN]) + f"… ({len(value)} characters)"
    text = (
        repr(value) if not isinstance(value, int) or value.bit_length() < 128 else f"a {value.bit_length()}-bit integer"
    )
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def not_a_boolean(field: str, expected: str = "a number") -> ValidationError:
    """The refusal of JSON `true`/`false` where a number is expected (never read as 1 or 0)."""
    return ValidationError(f"{field} must be {expected}, not a boolean", field=field, allowed=expected)


def decimal(value: object, field: str) -> Fraction:
    """`value` (a decimal text, an int or a finite float) as an exact Fraction: 0.7 is 7/10.

    Text is measured first (at most 32 characters), then its exponent (-30..30), and only then converted;
    ints and floats are held to the same magnitude. Raises ValidationError naming `field` (SPEC §13)."""
    if isinstance(value, bool):
        raise not_a_boolean(field)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        if abs(value) >= 10 ** (MAX_EXPONENT + 1):
            raise _bad_decimal(value, field)
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad_decimal(value, field)
        value = repr(value)  # the shortest text that round-trips: 0.7 -> "0.7" -> 7/10
    if not isinstance(value, str) or len(value) > MAX_DECIMAL_TEXT:
        raise _bad_decimal(value, field)
    text = value.strip()
    match = _DECIMAL.fullmatch(text)
    if match is None and _RATIO.fullmatch(text) is None:
        raise _bad_decimal(value, field)
    exponent = match.group("exp") if match else None
    if exponent is not None and abs(int(exponent)) > MAX_EXPONENT:
        raise _bad_decimal(value, field)
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise _bad_decimal(value, field) from None


def _bad_decimal(value: object, field: str) -> ValidationError:
    return ValidationError(f"{field} must be {DECIMAL_RULE}, got {shown(value)}", field=field, allowed=DECIMAL_RULE)


def integer(value: object, field: str, *, low: int = 0, high: int = MAX_INTEGER) -> int:
    """A whole number in low..high (0..2^53 unless the field's own rule is narrower); never a boolean."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        allowed = f"a whole number from {low} to {high}"
        raise ValidationError(f"{field} must be {allowed}, got {shown(value)}", field=field, allowed=allowed)
    return value


def wait_seconds(value: object, field: str, *, high: int = MAX_WAIT_SECONDS) -> float:
    """How long a call may block: 0..3600 seconds (SPEC §13), or the route's own smaller maximum."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= high
    if not ok:
        allowed = f"0-{high} seconds"
        raise ValidationError(f"{field} must be {allowed}, got {shown(value)}", field=field, allowed=allowed)
    return float(value)  # type: ignore[arg-type]


def ttl_seconds(value: object, field: str, *, low: int = MIN_TTL_SECONDS, high: int = MAX_TTL_SECONDS) -> int:
    """A timeout or TTL in whole seconds: 1 s .. 31 days (SPEC §13), or the field's own narrower range."""
    seconds: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        seconds = int(value)
    if seconds is None or not low <= seconds <= high:
        allowed = f"a whole number of seconds from {low} to {high}"
        if high == MAX_TTL_SECONDS:
            allowed += " (31 days)"
        raise ValidationError(f"{field} must be {allowed}, got {shown(value)}", field=field, allowed=allowed)
    return seconds


def text(value: str, field: str) -> str:
    """`value` unless it holds a NUL character or a lone surrogate (neither store keeps them alike)."""
    found = _BAD_TEXT.search(value)
    if found is not None:
        raise _bad_text(field, found.group())
    return value


def _bad_text(field: str, char: str) -> ValidationError:
    what = "a NUL character (\\u0000)" if char == "\x00" else f"a lone surrogate (\\u{ord(char):04x})"
    return ValidationError(
        f"{field} must be valid Unicode text without NUL characters; it holds {what}",
        field=field,
        allowed="Unicode text without NUL characters or lone surrogates",
    )


def check_input(value: Any, field: str, *, integers: bool = True) -> None:
    """Refuse the first string inside `value` (nested lists and dicts, keys included) that `text` refuses, and
    (unless `integers` is False: opaque JSON such as a gate's payload keeps its own rule) the first integer
    beyond ±2^53, naming where it is (`checkpoints[0].title`). Walks iteratively: nesting cannot exhaust the stack.

    The check every operation's arguments pass on every face (`accord.api`), before any service runs."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            found = _BAD_TEXT.search(item)
            if found is not None:
                raise _bad_text(where, found.group())
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if integers and not -MAX_INTEGER <= item <= MAX_INTEGER:
                _refuse_huge(item, where)
        elif isinstance(item, dict):
            for key, inner in item.items():
                bad_key = _BAD_TEXT.search(key) if isinstance(key, str) else None
                if bad_key is not None:
                    raise _bad_text(f"a key of {where}", bad_key.group())
                stack.append((f"{where}.{key}" if where else str(key), inner))
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}[{i}]", inner) for i, inner in enumerate(item))


def _refuse_huge(value: int, where: str) -> None:
    """Refuse an integer beyond ±2^53, naming the field's own range where its name says it (SPEC §13)."""
    name = where.rsplit(".", 1)[-1]
    if name.endswith(("_seconds", "_timeout")) and name not in ("timeout", "wait"):
        ttl_seconds(value, where)
    integer(value, where, low=1 if name in _COUNTED_FROM_ONE else 0)


_COUNTED_FROM_ONE = frozenset({"order", "position", "max_rounds", "limit", "latest", "min_completions"})


def pattern(value: str, field: str = "irreversible_pattern") -> str:
    """A pattern a member sets: at most 256 characters, compiled by RE2 (linear-time matching, no backtracking),
    measured before it is compiled. Raises ValidationError naming `field` and RE2's reason."""
    if len(value) > MAX_PATTERN:
        raise ValidationError(
            f"{field} is {len(value)} characters; at most {MAX_PATTERN} allowed", field=field, limit=MAX_PATTERN
        )
    text(value, field)
    try:
        _compiled(value)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValidationError(
            f"{field} is not a valid RE2 pattern: {reason}", field=field, allowed="an RE2 regular expression"
        ) from None
    return value


def search(pattern: str, subject: str) -> bool:
    """Whether `pattern` (RE2, case-insensitive) matches anywhere in `subject`, in time linear in the subject.
    A stored pattern RE2 cannot compile (set before RE2 was used) matches everything: the stricter rule holds."""
    try:
        return _compiled(pattern).search(subject) is not None
    except re2.error:
        return True


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return re2.compile(pattern, options)

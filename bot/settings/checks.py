"""Value checks shared by every section: each is (converter, what is allowed, in words).

A converter returns the value to keep, raises TypeError for the wrong kind of value and ValueError
for one out of range; loading turns either into a sentence naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Check = Callable[[Any], Any]
Rule = tuple[Check, str]  # (converter, what is allowed)


def int_range(lo: int, hi: int) -> Rule:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError
        if not lo <= v <= hi:
            raise ValueError
        return v

    return check, f"a whole number from {lo} to {hi}"


def float_range(lo: float, hi: float) -> Rule:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError
        if not lo <= v <= hi:
            raise ValueError
        return float(v)

    return check, f"a number from {lo:g} to {hi:g}"


def string(choices: tuple[str, ...] | None = None, *, optional: bool = False) -> Rule:
    def check(v: Any) -> str | None:
        if optional and v in ("", None):
            return None
        if not isinstance(v, str):
            raise TypeError
        if choices is not None:
            low = v.upper() if choices[0].isupper() else v.lower()
            if low not in choices:
                raise ValueError
            return low
        return v

    allowed = "text" if choices is None else "one of " + ", ".join(choices)
    return check, allowed


def url(schemes: tuple[str, ...]) -> Rule:
    def check(v: Any) -> str | None:
        if v in ("", None):
            return None
        if not isinstance(v, str):
            raise TypeError
        if not v.startswith(tuple(s + "://" for s in schemes)):
            raise ValueError
        return v.rstrip("/")

    return check, "a URL starting with " + " or ".join(s + "://" for s in schemes)


TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def flag() -> Rule:
    def check(v: Any) -> bool:
        if isinstance(v, str) and v.lower() in TRUE + FALSE:
            return v.lower() in TRUE
        if not isinstance(v, bool):
            raise TypeError
        return v

    return check, "true or false"


def path() -> Rule:
    def check(v: Any) -> Path:
        if not isinstance(v, str) or not v:
            raise TypeError
        return Path(v)

    return check, "a folder path"

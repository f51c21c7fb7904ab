"""Ids taken from query strings: decimal digits within the database's integer range.

`str.isdigit()` is not enough: it accepts "²" (int() refuses it) and any length, while a
foreign-key lookup on a number beyond 64 bits fails in the database driver (SQLite) instead
of matching nothing.
"""

from __future__ import annotations

from typing import Any

MAX_ID = 2**63 - 1


def is_id(value: Any) -> bool:
    text = str(value)
    return text.isdecimal() and int(text) <= MAX_ID

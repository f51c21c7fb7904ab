"""Actions tables of the plans app."""

from __future__ import annotations

__all__: list[str] = []

"""Actions endpoints of the plans app."""

from __future__ import annotations


def register(router) -> None:
    pass

"""The training API."""

from __future__ import annotations


def register(router) -> None:
    pass

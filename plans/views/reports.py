"""Reports pages of the plans app."""

from __future__ import annotations

urlpatterns: list = []

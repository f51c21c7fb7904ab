"""Actions selectors of the plans app."""

from __future__ import annotations

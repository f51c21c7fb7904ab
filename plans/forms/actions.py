"""Actions forms of the plans app."""

from __future__ import annotations

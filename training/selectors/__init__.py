"""Reads of the training app. ``valid_certifications`` is the public read other apps use
(incentives: promotion eligibility)."""

from __future__ import annotations

from training.selectors.certifications import valid_certifications  # noqa: F401

"""Helpers of the full-journey browser suite (`tests/e2e/test_full_journey.py`)."""

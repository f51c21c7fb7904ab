"""Shared fixtures. With REQUIRE_SERVICES=1 a test that needs a service fails, never skips."""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright sync API + live_server

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need_service(name: str, available: bool) -> None:
    """Skip without the service locally; fail under REQUIRE_SERVICES=1 (CI)."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{name} not available")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _reset_axes_and_cache():
    from django.core.cache import cache

    cache.clear()
    return

"""Pages of this app, included by salesgoals/urls.py (names "targets:…")."""

from django.urls import path  # noqa: F401

app_name = "targets"

urlpatterns: list = []

"""Pages of this app, included by salesgoals/urls.py (names "crm_sync:…")."""

from django.urls import path  # noqa: F401

app_name = "crm_sync"

urlpatterns: list = []

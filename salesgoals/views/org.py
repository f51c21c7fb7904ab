"""Org tree and people pages."""

urlpatterns: list = []

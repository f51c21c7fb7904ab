"""Fiscal calendar pages."""

urlpatterns: list = []

"""Fiscal years, periods and working-day overrides."""

__all__: list[str] = []

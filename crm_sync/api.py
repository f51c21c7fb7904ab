"""REST endpoints of this app (registered in salesgoals/api/urls.py)."""

from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    """Add this app's viewsets to the API router."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import Notification
from .navigation import areas_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_areas": areas_for(user.role, superuser=user.is_superuser),
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
    }

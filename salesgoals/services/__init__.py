"""Every core write goes through these functions (keyword-only, typed, transactional)."""

from .calendar import *  # noqa: F403
from .notifications import notification_send, notifications_mark_read
from .org import *  # noqa: F403
from .org import OrgError

__all__ = ["OrgError", "notification_send", "notifications_mark_read"]

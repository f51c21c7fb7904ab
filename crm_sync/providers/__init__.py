"""CRM providers: the only code that speaks HTTP to a CRM (`zoho.py`, `fxiaoke.py`)."""

from __future__ import annotations

import time

from crm_sync.models import Connection, Provider

from .base import (
    CrmAuthError,
    CrmError,
    CrmUserInfo,
    CursorExpired,
    Page,
    RateLimited,
    Sleep,
    TokenExpired,
    Transient,
)
from .common import BaseProvider

__all__ = [
    "BaseProvider",
    "CrmAuthError",
    "CrmError",
    "CrmUserInfo",
    "CursorExpired",
    "Page",
    "RateLimited",
    "TokenExpired",
    "Transient",
    "provider_for",
]


def provider_for(connection: Connection, *, sleep: Sleep = time.sleep) -> BaseProvider:
    if connection.provider == Provider.ZOHO:
        from .zoho import ZohoProvider

        return ZohoProvider(connection, sleep=sleep)
    from .fxiaoke import FxiaokeProvider

    return FxiaokeProvider(connection, sleep=sleep)

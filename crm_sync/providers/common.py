"""The interface the sync engine uses; each provider fills it in for its CRM."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_sync.models import Connection

from .base import CrmUserInfo, Http, Page, Sleep, TokenStore


class RecordError(Exception):
    """One record cannot be taken in; it is logged and skipped."""


class BaseProvider:
    key = ""
    has_deleted_feed = False
    owner_field = ""

    def __init__(self, connection: Connection, *, sleep: Sleep = time.sleep) -> None:
        self.connection = connection
        self.http = Http(sleep=sleep)
        self.tokens = TokenStore(connection, sleep)

    def close(self) -> None:
        self.http.close()

    # --- calls --------------------------------------------------------------------------
    def test(self) -> str:
        raise NotImplementedError

    def users(self) -> list[CrmUserInfo]:
        raise NotImplementedError

    def field_names(self, crm_object: str) -> set[str]:
        raise NotImplementedError

    def count(self, crm_object: str, since_ms: int | None) -> int | None:
        return None

    def latest_modified(self, crm_object: str, since_ms: int | None) -> int | None:
        """The CRM's latest modified time of the object now, if it can tell cheaply."""
        return None

    def fetch(
        self, crm_object: str, fields: list[str], since_ms: int | None, pos: dict[str, Any]
    ) -> Page:
        raise NotImplementedError

    def fetch_deleted(self, crm_object: str, since_ms: int | None, pos: dict[str, Any]) -> Page:
        return Page([], None)

    # --- records ------------------------------------------------------------------------
    def record_id(self, record: dict[str, Any]) -> str:
        raise NotImplementedError

    def modified_ms(self, record: dict[str, Any]) -> int | None:
        raise NotImplementedError

    def is_deleted(self, record: dict[str, Any]) -> bool:
        return False

    def raw(self, record: dict[str, Any], field: str) -> Any:
        return record.get(field) if field else None

    def text(self, record: dict[str, Any], field: str) -> str:
        value = self.raw(record, field)
        if value is None:
            return ""
        if isinstance(value, dict):
            value = value.get("name") or value.get("id") or ""
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return str(value).strip()

    def ref(self, record: dict[str, Any], field: str) -> str | None:
        raise NotImplementedError

    def user_ref(self, record: dict[str, Any], field: str) -> tuple[str, str] | None:
        """(CRM user id, e-mail or "") of a user field."""
        raise NotImplementedError

    def date(self, record: dict[str, Any], field: str) -> datetime.date | None:
        raise NotImplementedError

    def decimal(self, record: dict[str, Any], field: str) -> Decimal | None:
        value = self.raw(record, field)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            raise RecordError(f"{field}: {value!r} is not a number")
        if isinstance(value, float):  # never expected (parse_float=Decimal), be exact anyway
            value = repr(value)
        try:
            number = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            raise RecordError(f"{field}: {value!r} is not a number") from None
        if not number.is_finite():
            raise RecordError(f"{field}: {value!r} is not a number")
        return number

"""Fxiaoke (纷享销客) Open API: V2 corpAccessToken, `data/query` paging, errorCode envelopes.

- Token: `POST /cgi/corpAccessToken/get/V2` (appId, appSecret, permanentCode). Cached in the
  shared cache until 3 minutes before `expiresIn`; one process refreshes at a time and at most
  10 token calls a minute are made per connection (a counter in the shared cache).
- Every call is a POST whose answer is HTTP 200 with `errorCode`: 0 is success, 20016 means
  the token expired (refresh once, retry), 14001/30004 are rate limits (backoff 5, 10, 20 s …),
  -1/50009 are transient; anything else is reported with code, message and traceId.
- Records: `POST /cgi/crm/v2/data/query` (custom objects: `/cgi/crm/custom/v2/data/query`),
  ordered by `_id`, `limit` 100 with `offset` paging; the offset may not pass 10,000, so from
  there on the query continues with `_id GT <last id>` (keyset paging). Incremental syncs
  filter `last_modified_time GTE <watermark - overlap>` (epoch milliseconds).
- Voided records (`life_status` "invalid") or `is_deleted` ones are deletions.
- Numbers arrive as strings ("1.00") and times as epoch milliseconds; both are converted
  exactly (Decimal, timezone-aware).
"""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from .base import (
    CrmAuthError,
    CrmError,
    CrmUserInfo,
    Page,
    RateLimited,
    TokenExpired,
    Transient,
    conf,
    local_date,
    ms_to_datetime,
    parse_json,
)
from .common import BaseProvider, RecordError

OFFSET_CAP = 10_000
TOKEN_MARGIN = 180
TOKEN_CALLS_PER_MINUTE = 10
RATE_LIMIT_CODES = {14001, 30004}
TRANSIENT_CODES = {-1, 50009}
TOKEN_CODES = {20016}
AUTH_CODES = {10006, 11014, 20005, 20006, 20015, 20017, 20020, 20021, 20022, 30003}
DELETED_STATUSES = {"invalid"}

CLOUDS = {
    "fxiaoke": "https://open.fxiaoke.com",
    "hwcloud": "https://open-hwcloud.fxiaoke.com",
    "ale": "https://open-ale.fxiaoke.com",
    "hws": "https://open-hws.fxiaoke.com",
    "ksc": "https://open-ksc.sharecrm.com",
    "na": "https://open-na.sharecrm.com",
}
REGION_LABELS = {
    "fxiaoke": "纷享云 (open.fxiaoke.com)",
    "hwcloud": "华为云 (open-hwcloud.fxiaoke.com)",
    "ale": "阿里云 (open-ale.fxiaoke.com)",
    "hws": "Frankfurt (open-hws.fxiaoke.com)",
    "ksc": "Hong Kong (open-ksc.sharecrm.com)",
    "na": "North America (open-na.sharecrm.com)",
}
SECRET_FIELDS = ("app_secret", "permanent_code")


class FxiaokeProvider(BaseProvider):
    key = "fxiaoke"
    has_deleted_feed = False
    owner_field = "owner"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_call: dict[str, float] = {}

    @property
    def api_base(self) -> str:
        return (
            self.connection.api_url or CLOUDS.get(self.connection.region, CLOUDS["fxiaoke"])
        ).rstrip("/")

    @property
    def token_base(self) -> str:
        return (self.connection.accounts_url or self.api_base).rstrip("/")

    # --- token --------------------------------------------------------------------------
    def token(self) -> dict[str, Any]:
        cached = self.tokens.get()
        if cached is not None:
            return cached
        with self.tokens.single_flight():
            # Whoever held the lock before us may have stored a fresh token meanwhile.
            cached = self.tokens.get()
            if cached is not None:
                return cached
            return self._fetch_token()

    def _token_budget(self) -> None:
        """At most 10 token calls a minute per connection, counted across workers."""
        window = int(time.time() // 60)
        while True:
            key = f"crm_sync:fx-token-calls:{self.connection.pk}:{window}"
            cache.add(key, 0, timeout=120)
            try:
                calls = cache.incr(key)
            except ValueError:
                calls = 1
            # None: the cache is down (its errors read as misses) and cannot count; the
            # CRM's own limit still answers a burst with its rate-limit error.
            if calls is None or calls <= TOKEN_CALLS_PER_MINUTE:
                return
            self.http.wait((window + 1) * 60 - time.time() + 0.01)
            window += 1

    def _fetch_token(self) -> dict[str, Any]:
        secrets = self.connection.secrets()
        if not (
            self.connection.client_id
            and secrets.get("app_secret")
            and secrets.get("permanent_code")
        ):
            raise CrmAuthError(_("App id, app secret and permanent code are all needed."))
        body = {
            "appId": self.connection.client_id,
            "appSecret": secrets["app_secret"],
            "permanentCode": secrets["permanent_code"],
        }

        def attempt() -> dict[str, Any]:
            self._token_budget()
            answer = self._post_raw(f"{self.token_base}/cgi/corpAccessToken/get/V2", body)
            code = int(answer.get("errorCode", -1))
            if code == 0 and answer.get("corpAccessToken"):
                return answer
            self._raise_for(code, answer, token_call=True)
            raise CrmError("unreachable")

        answer = self.http.retrying(attempt)
        expires_in = int(answer.get("expiresIn") or 7200)
        data = {
            "token": answer["corpAccessToken"],
            "corp_id": answer.get("corpId", ""),
            "expires_at": time.time() + max(30, expires_in - TOKEN_MARGIN),
        }
        self.tokens.put(data)
        return data

    # --- requests -----------------------------------------------------------------------
    def _post_raw(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.send(
            "POST", url, params={"thirdTraceId": str(uuid.uuid4())}, json=body
        )
        if response.status_code >= 500 or response.status_code == 429:
            raise Transient(f"Fxiaoke answered HTTP {response.status_code}.")
        answer = parse_json(response)
        if not isinstance(answer, dict):
            raise CrmError(f"Fxiaoke answered HTTP {response.status_code} without a JSON object.")
        return answer

    def _raise_for(self, code: int, answer: dict[str, Any], *, token_call: bool = False) -> None:
        message = f"Fxiaoke errorCode {code}: {answer.get('errorMessage', '')}"
        if answer.get("traceId"):
            message += f" (traceId {answer['traceId']})"
        if code in RATE_LIMIT_CODES:
            raise RateLimited(message, code=str(code))
        if code in TRANSIENT_CODES:
            raise Transient(message, code=str(code))
        if code in TOKEN_CODES and not token_call:
            raise TokenExpired(message, code=str(code))
        if code in AUTH_CODES or token_call:
            raise CrmAuthError(message, code=str(code))
        raise CrmError(message, code=str(code))

    def post(self, path: str, payload: dict[str, Any], *, wrap: bool = True) -> dict[str, Any]:
        """POST a business call with the token; refresh once on 20016."""
        refreshed = False
        while True:
            token = self.token()
            body = {
                "corpAccessToken": token["token"],
                "corpId": token["corp_id"],
                "currentOpenUserId": self.connection.run_as_user,
            }
            body.update({"data": payload} if wrap else payload)

            def attempt(body: dict[str, Any] = body) -> dict[str, Any]:
                self._space(path)
                answer = self._post_raw(f"{self.api_base}{path}", body)
                code = int(answer.get("errorCode", -1))
                if code != 0:
                    self._raise_for(code, answer)
                return answer

            try:
                return self.http.retrying(attempt)
            except TokenExpired:
                if refreshed:
                    raise CrmAuthError(_("Fxiaoke refused a freshly fetched token.")) from None
                self.tokens.forget(token["token"])
                refreshed = True

    def _space(self, path: str) -> None:
        """100 calls per 20 s per interface: keep calls to one path `FXIAOKE_MIN_INTERVAL`
        (0.2 s) apart in this process; the CRM's own 14001/30004 back the rest off."""
        interval = float(conf("FXIAOKE_MIN_INTERVAL", 0.2))
        if interval <= 0:
            return
        last = self._last_call.get(path)
        now = time.monotonic()
        if last is not None and now - last < interval:
            self.http.wait(interval - (now - last))
        self._last_call[path] = time.monotonic()

    # --- the provider interface ---------------------------------------------------------
    def test(self) -> str:
        answer = self.post("/cgi/crm/v2/object/list", {"includeNull": False}, wrap=False)
        objects = (answer.get("data") or {}).get("objects") or []
        return _("Connected to Fxiaoke; %(n)s CRM objects visible.") % {"n": len(objects)}

    def users(self) -> list[CrmUserInfo]:
        answer = self.post(
            "/cgi/user/list", {"departmentId": 999999, "fetchChild": True}, wrap=False
        )
        return [
            CrmUserInfo(
                external_id=str(u["openUserId"]),
                name=str(u.get("fullName") or u.get("name") or ""),
                email=str(u.get("email") or ""),
                active=not u.get("isStop", False),
            )
            for u in answer.get("userList") or []
        ]

    def field_names(self, crm_object: str) -> set[str]:
        answer = self.post(
            "/cgi/crm/v2/object/describe", {"apiName": crm_object, "includeDetail": True}
        )
        describe = (answer.get("data") or {}).get("describe") or {}
        return set((describe.get("fields") or {}).keys())

    def _query_path(self, crm_object: str) -> str:
        if crm_object.endswith("__c"):
            return "/cgi/crm/custom/v2/data/query"
        return "/cgi/crm/v2/data/query"

    def _head(self, crm_object: str, since_ms: int | None, order: str, asc: bool) -> dict[str, Any]:
        filters = []
        if since_ms is not None:
            filters.append(
                {
                    "field_name": "last_modified_time",
                    "operator": "GTE",
                    "field_values": [str(since_ms)],
                }
            )
        query = {
            "dataObjectApiName": crm_object,
            "find_explicit_total_num": True,
            "search_query_info": {
                "limit": 1,
                "offset": 0,
                "filters": filters,
                "orders": [{"fieldName": order, "isAsc": asc}],
                "fieldProjection": ["_id", "last_modified_time"],
            },
        }
        answer = self.post(self._query_path(crm_object), query)
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        if "dataList" not in data and isinstance(answer.get("result"), dict):
            data = answer["result"]
        return data

    def latest_modified(self, crm_object: str, since_ms: int | None) -> int | None:
        """Records are read in `_id` order, so a change during the pass may land behind the
        reader; the pass's watermark is therefore the latest change when it started."""
        rows = self._head(crm_object, since_ms, "last_modified_time", False).get("dataList") or []
        return self.modified_ms(rows[0]) if rows else None

    def count(self, crm_object: str, since_ms: int | None) -> int | None:
        total = self._head(crm_object, since_ms, "_id", True).get("total")
        return None if total is None else int(total)

    def fetch(
        self, crm_object: str, fields: list[str], since_ms: int | None, pos: dict[str, Any]
    ) -> Page:
        limit = int(conf("FXIAOKE_LIMIT", 100))
        filters: list[dict[str, Any]] = []
        if since_ms is not None:
            filters.append(
                {
                    "field_name": "last_modified_time",
                    "operator": "GTE",
                    "field_values": [str(since_ms)],
                }
            )
        offset = int(pos.get("offset", 0))
        if pos.get("after_id"):
            offset = 0
            filters.append(
                {"field_name": "_id", "operator": "GT", "field_values": [pos["after_id"]]}
            )
        wanted = sorted({"_id", "last_modified_time", "life_status", "is_deleted", *fields})
        query = {
            "dataObjectApiName": crm_object,
            "find_explicit_total_num": not pos,
            "search_query_info": {
                "limit": limit,
                "offset": offset,
                "filters": filters,
                "orders": [{"fieldName": "_id", "isAsc": True}],
                "fieldProjection": wanted,
            },
        }
        answer = self.post(self._query_path(crm_object), query)
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        if "dataList" not in data and isinstance(answer.get("result"), dict):
            data = answer["result"]
        records = data.get("dataList") or []
        total = int(data.get("total") or 0) or None if not pos else None
        if len(records) < limit:
            return Page(records, None, total)
        next_offset = offset + limit
        if pos.get("after_id") or next_offset >= OFFSET_CAP:
            return Page(records, {"after_id": str(records[-1]["_id"])}, total)
        return Page(records, {"offset": next_offset}, total)

    # --- values -------------------------------------------------------------------------
    def record_id(self, record: dict[str, Any]) -> str:
        return str(record["_id"])

    def modified_ms(self, record: dict[str, Any]) -> int | None:
        value = record.get("last_modified_time")
        return int(value) if value not in (None, "") else None

    def is_deleted(self, record: dict[str, Any]) -> bool:
        return bool(record.get("is_deleted")) or record.get("life_status") in DELETED_STATUSES

    def ref(self, record: dict[str, Any], field: str) -> str | None:
        value = self.raw(record, field)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("_id") or value.get("id")
        return str(value) if value not in (None, "") else None

    def user_ref(self, record: dict[str, Any], field: str) -> tuple[str, str] | None:
        found = self.ref(record, field)
        return (found, "") if found else None

    def text(self, record: dict[str, Any], field: str) -> str:
        value = self.raw(record, field)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, dict):
            return str(value.get("name") or value.get("_id") or "").strip()
        return "" if value is None else str(value).strip()

    def date(self, record: dict[str, Any], field: str) -> datetime.date | None:
        value = self.raw(record, field)
        if value in (None, ""):
            return None
        try:
            return local_date(ms_to_datetime(int(str(value))))
        except (TypeError, ValueError, OverflowError, OSError):
            raise RecordError(f"{field}: {value!r} is not an epoch-millisecond time") from None

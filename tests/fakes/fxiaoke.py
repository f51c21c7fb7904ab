"""A fake Fxiaoke (纷享销客) Open API following crm-apis.md part B.

- `POST /cgi/corpAccessToken/get/V2`: appId/appSecret/permanentCode → corpAccessToken,
  corpId, expiresIn; wrong secret → errorCode 10006. More than 10 token calls in a minute
  answer errorCode 14001, and concurrent token calls are counted as violations.
- Every answer is HTTP 200 with `errorCode` (0 = success); a missing or revoked token gives
  20016; `currentOpenUserId` is required.
- `POST /cgi/crm/v2/data/query` (and `/cgi/crm/custom/v2/data/query`): `limit` ≤ 100,
  `offset` a multiple of the limit and ≤ 10,000 (else 10013 "offset out of range 10000"),
  filters on any field with EQ/GT/GTE/LT/LTE/IN (`_id` sorts lexicographically),
  `orders`, `fieldProjection`, `find_explicit_total_num`; numbers as strings, times as epoch
  ms, owners as lists; voided records stay with `life_status` "invalid".
- `POST /cgi/crm/v2/object/describe`, `/cgi/crm/v2/object/list`, `/cgi/user/list`.
- Faults: rate limits (errorCode 30004), system busy (-1), token revocation, slow answers.
"""

from __future__ import annotations

import bisect
import itertools
import json
import time
import uuid
from typing import Any

from .base import FakeCrm, Reply

OFFSET_CAP = 10_000

FIELDS = {
    "AccountObj": [
        "_id",
        "name",
        "owner",
        "create_time",
        "last_modified_time",
        "life_status",
        "is_deleted",
    ],
    "LeadsObj": [
        "_id",
        "name",
        "company",
        "biz_status",
        "owner",
        "create_time",
        "last_modified_time",
        "life_status",
        "is_deleted",
    ],
    "NewOpportunityObj": [
        "_id",
        "name",
        "amount",
        "sales_stage",
        "sales_status",
        "probability",
        "close_date",
        "account_id",
        "owner",
        "create_time",
        "last_modified_time",
        "life_status",
        "is_deleted",
        "mc_currency",
        "mc_exchange_rate",
    ],
    "OpportunityObj": [
        "_id",
        "name",
        "expected_deal_amount",
        "oppo_stage_id",
        "biz_status",
        "probability",
        "expected_deal_closed_date",
        "account_id",
        "owner",
        "create_time",
        "last_modified_time",
        "life_status",
        "is_deleted",
        "mc_currency",
        "mc_exchange_rate",
    ],
    "SalesOrderObj": [
        "_id",
        "name",
        "order_amount",
        "order_time",
        "account_id",
        "owner",
        "create_time",
        "last_modified_time",
        "life_status",
        "is_deleted",
        "mc_currency",
        "mc_exchange_rate",
    ],
    "PaymentObj": [
        "_id",
        "name",
        "payment_amount",
        "payment_time",
        "account_id",
        "order_id",
        "owner",
        "create_time",
        "last_modified_time",
        "life_status",
        "is_deleted",
        "mc_currency",
        "mc_exchange_rate",
    ],
    "ActiveRecordObj": [
        "_id",
        "name",
        "active_record_content",
        "account_id",
        "owner",
        "create_time",
        "last_modified_time",
        "life_status",
        "is_deleted",
    ],
}


def _ok(**body: Any) -> Reply:
    return Reply(
        200,
        {
            "errorCode": 0,
            "errorMessage": "OK",
            "errorDescription": "success",
            "traceId": f"E-O.fake.{uuid.uuid4().hex[:8]}",
            **body,
        },
    )


def _err(code: int, message: str) -> Reply:
    return Reply(
        200,
        {
            "errorCode": code,
            "errorMessage": message,
            "errorDescription": message,
            "traceId": f"E-O.fake.{uuid.uuid4().hex[:8]}",
        },
    )


class FakeFxiaoke(FakeCrm):
    def __init__(
        self,
        app_id: str = "FSAID_fake",
        app_secret: str = "fx-app-secret",
        permanent_code: str = "FX-PERMANENT",
    ) -> None:
        super().__init__()
        self.app_id, self.app_secret, self.permanent_code = app_id, app_secret, permanent_code
        self.corp_id = "FSCID_FAKE"
        self.tokens: set[str] = set()
        self.token_times: list[float] = []
        self.token_in_flight = 0
        self.token_concurrency_violations = 0
        self.token_delay = 0.0
        self.token_limit_per_minute = 10
        self.records: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in FIELDS}
        self._ids: dict[str, list[str]] = {m: [] for m in FIELDS}
        self.users: list[dict[str, Any]] = []
        self._seq = 0
        self.busy_code = -1

    # --- data -------------------------------------------------------------------------
    def new_id(self) -> str:
        with self.lock:
            self._seq += 1
            return f"{0x5EA6CDD489225F0000000000 + self._seq:024x}"

    def add_user(self, name: str, email: str = "", stopped: bool = False) -> str:
        uid = f"FSUID_{uuid.uuid4().hex[:16].upper()}"
        self.users.append(
            {
                "openUserId": uid,
                "name": name,
                "fullName": name,
                "email": email,
                "isStop": stopped,
                "departmentIds": [999999],
            }
        )
        return uid

    def put(self, obj: str, record: dict[str, Any], rid: str | None = None) -> str:
        with self.lock:
            rid = rid or record.get("_id") or self.new_id()
            now = self.now_ms()
            old = self.records[obj].get(rid)
            row = {**(old or {}), **record, "_id": rid}
            row.setdefault("create_time", now)
            row.setdefault("life_status", "normal")
            row.setdefault("is_deleted", False)
            row["last_modified_time"] = now
            row["version"] = str(int((old or {}).get("version", "0")) + 1)
            if old is None:
                bisect.insort(self._ids[obj], rid)
            self.records[obj][rid] = row
            return rid

    def update(self, obj: str, rid: str, **fields: Any) -> None:
        self.put(obj, fields, rid)

    def invalidate(self, obj: str, rid: str) -> None:
        """作废: the record stays, with life_status "invalid"."""
        self.put(obj, {"life_status": "invalid"}, rid)

    def delete(self, obj: str, rid: str) -> None:
        """删除 after 作废: the record is gone from every query."""
        with self.lock:
            del self.records[obj][rid]
            self._ids[obj].remove(rid)

    def add_deal(self, owner: str, amount: str, status: str = "running", **extra: Any) -> str:
        n = len(self.records["NewOpportunityObj"]) + 1
        record = {
            "name": f"商机 {n}",
            "amount": amount,
            "sales_stage": "1",
            "sales_status": status,
            "probability": "40",
            "close_date": 1763136000000,
            "owner": [owner],
            "create_time": 1759370400000,
            **extra,
        }
        return self.put("NewOpportunityObj", record)

    def alive(self, obj: str) -> list[dict[str, Any]]:
        return [r for r in self.records[obj].values() if r.get("life_status") != "invalid"]

    # --- HTTP ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers: Any, body: bytes) -> Reply:
        self.requests.append((method, path))
        if method != "POST":
            return Reply(405, b"")
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return _err(32000, "parameter error")
        if path == "/cgi/corpAccessToken/get/V2":
            return self.token(payload)
        if not payload.get("corpAccessToken") and not payload.get("corpId"):
            return _err(20017, "corpAccessToken为必填项\uff0c不能为空")
        fault = self._business_fault()
        if fault == "expire":
            self.tokens.clear()
        if (
            payload.get("corpAccessToken") not in self.tokens
            or payload.get("corpId") != self.corp_id
        ):
            return _err(20016, "the cropId,cropAccessToken or authorization is error")
        if fault == "rate":
            return _err(30004, "API call frequency exceeded")
        if fault == "fail":
            return _err(self.busy_code, "system busy")
        if not payload.get("currentOpenUserId"):
            return _err(10001, "currentOpenUserId is missing")
        self.counts["api"] += 1
        data = payload.get("data") or {}
        if path == "/cgi/user/list":
            return _ok(userList=self.users)
        if path == "/cgi/crm/v2/object/list":
            return _ok(
                data={
                    "objects": [
                        {
                            "describeApiName": o,
                            "describeDisplayName": o,
                            "defineType": "package",
                            "isActive": True,
                        }
                        for o in FIELDS
                    ]
                }
            )
        if path == "/cgi/crm/v2/object/describe":
            name = data.get("apiName")
            if name not in FIELDS:
                return _err(11001, f"object {name} not found")
            return _ok(
                data={
                    "describe": {
                        "api_name": name,
                        "fields": {
                            f: {"api_name": f, "label": f, "type": "text"} for f in FIELDS[name]
                        },
                    }
                }
            )
        if path in ("/cgi/crm/v2/data/query", "/cgi/crm/custom/v2/data/query"):
            return self.query(data)
        return _err(10002, "unknown interface")

    def token(self, payload: dict[str, Any]) -> Reply:
        with self.lock:
            now = time.time()
            self.token_times = [t for t in self.token_times if now - t < 60]
            self.token_times.append(now)
            if self.token_in_flight:
                self.token_concurrency_violations += 1
            self.token_in_flight += 1
            too_many = len(self.token_times) > self.token_limit_per_minute
        try:
            if self.token_delay:
                time.sleep(self.token_delay)
            if too_many:
                return _err(14001, "interface call limit exceeded")
            if payload.get("appId") != self.app_id or payload.get("appSecret") != self.app_secret:
                return Reply(
                    200,
                    {
                        "errorCode": 10006,
                        "errorMessage": "the parameter appSecret is missing or illegal",
                        "error": "invalid_client",
                        "error_description": "bad secret",
                    },
                )
            if payload.get("permanentCode") != self.permanent_code:
                return _err(20015, "permanentCode wrong")
            token = uuid.uuid4().hex.upper()
            self.tokens.add(token)
            return Reply(
                200,
                {
                    "corpAccessToken": token,
                    "corpId": self.corp_id,
                    "expiresIn": 7200,
                    "errorCode": 0,
                    "errorMessage": "success",
                },
            )
        finally:
            with self.lock:
                self.token_in_flight -= 1

    def query(self, data: dict[str, Any]) -> Reply:
        obj = data.get("dataObjectApiName")
        if obj not in FIELDS:
            return _err(11001, f"object {obj} not found")
        info = data.get("search_query_info") or {}
        limit, offset = int(info.get("limit", 20)), int(info.get("offset", 0))
        if not 1 <= limit <= 100:
            return _err(11001, "limit must be between 1 and 100")
        if offset > OFFSET_CAP:
            return Reply(
                200,
                {
                    "errorDescription": "offset 不能超过10000",
                    "errorMessage": "offset out of range 10000",
                    "errorCode": 10013,
                },
            )
        if offset % limit:
            return _err(11001, "offset must be a multiple of limit")
        orders = info.get("orders")
        if orders is None:
            return _err(10001, "orders is required")
        explicit = data.get("find_explicit_total_num", True)
        by_id = not orders or orders[0].get("fieldName") == "_id"
        with self.lock:
            ids = self._ids[obj]
            rows = self.records[obj]
            start = 0
            filters = list(info.get("filters") or [])
            id_filter = next(
                (f for f in filters if f["field_name"] == "_id" and f["operator"] == "GT"), None
            )
            if id_filter:
                filters.remove(id_filter)
                start = bisect.bisect_right(ids, id_filter["field_values"][0])
            matching = (
                rows[i] for i in ids[start:] if all(self._match(rows[i], f) for f in filters)
            )
            if by_id and not explicit and not filters:
                # Plain _id order without other filters: the page is a slice of the index.
                selected = [None] * offset + [
                    rows[i] for i in ids[start + offset : start + offset + limit]
                ]
            elif by_id and not explicit:
                # Only what this page needs (the caller did not ask for the total).
                selected = list(itertools.islice(matching, offset + limit))
            else:
                selected = list(matching)
        if not by_id:
            key = orders[0]["fieldName"]
            selected.sort(key=lambda r: r.get(key) or 0, reverse=not orders[0].get("isAsc", True))
        total = len(selected)
        chunk = selected[offset : offset + limit]
        projection = info.get("fieldProjection") or []
        if projection:
            chunk = [{k: r[k] for k in ["_id", *projection] if k in r} for r in chunk]
        return _ok(
            data={
                "dataList": chunk,
                "offset": offset,
                "limit": limit,
                "total": total if explicit else 0,
            }
        )

    @staticmethod
    def _match(row: dict[str, Any], f: dict[str, Any]) -> bool:
        value = row.get(f["field_name"])
        wanted = f.get("field_values") or []
        op = f["operator"]
        if isinstance(value, list):
            value = value[0] if value else None
        if op == "IN":
            return str(value) in [str(w) for w in wanted]
        if op == "EQ":
            return str(value) == str(wanted[0])
        if value is None:
            return False
        if isinstance(value, int | float):
            target = float(wanted[0])
        else:
            target, value = str(wanted[0]), str(value)
        return {
            "GT": value > target,
            "GTE": value >= target,
            "LT": value < target,
            "LTE": value <= target,
        }.get(op, False)

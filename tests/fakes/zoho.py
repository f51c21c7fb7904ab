"""A fake Zoho CRM (accounts + Records API v8) following crm-apis.md part A.

- `POST /oauth/v2/token` (refresh-token grant): HTTP 200 with `access_token`, `api_domain`
  (this server), `expires_in`; wrong client → `{"error": "invalid_client"}`, wrong refresh
  token → `{"error": "invalid_code"}` (also HTTP 200).
- `GET /crm/v8/{module}`: `fields` required (≤ 50), `per_page` ≤ 200, `page` only within the
  first 2,000 records (else DISCRETE_PAGINATION_LIMIT_EXCEEDED), then `page_token` from
  `info.next_page_token` (a snapshot; unknown token → EXPIRED_VALUE), 100,000 at most;
  `If-Modified-Since` returns records modified after it; nothing → 204 (304 with the header).
- `GET /crm/v8/{module}/deleted`, `/{module}/actions/count`, `/users`, `/settings/fields`.
- Errors as `{"code","details","message","status":"error"}`: INVALID_TOKEN (401),
  TOO_MANY_REQUESTS (429, `details.retry_after`), INTERNAL_ERROR (500).
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from .base import FakeCrm, Reply

DISCRETE_LIMIT = 2000
TOKEN_LIMIT = 100_000

FIELDS = {
    "Accounts": [
        "id",
        "Account_Name",
        "Industry",
        "Billing_City",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ],
    "Leads": [
        "id",
        "Full_Name",
        "Last_Name",
        "Company",
        "Lead_Status",
        "Converted_Date_Time",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ],
    "Deals": [
        "id",
        "Deal_Name",
        "Amount",
        "Stage",
        "Closing_Date",
        "Probability",
        "Currency",
        "Exchange_Rate",
        "Account_Name",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ],
    "Sales_Orders": [
        "id",
        "Subject",
        "Grand_Total",
        "Currency",
        "Exchange_Rate",
        "Account_Name",
        "Deal_Name",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ],
    "Calls": [
        "id",
        "Subject",
        "Call_Start_Time",
        "Description",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ],
    "Events": [
        "id",
        "Event_Title",
        "Start_DateTime",
        "Description",
        "Owner",
        "Created_Time",
        "Modified_Time",
    ],
    "Tasks": ["id", "Subject", "Due_Date", "Description", "Owner", "Created_Time", "Modified_Time"],
}


def iso(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return moment.astimezone(datetime.timezone(datetime.timedelta(hours=8))).isoformat(
        timespec="seconds"
    )


def parse_iso_ms(text: str) -> int:
    return int(datetime.datetime.fromisoformat(text).timestamp() * 1000)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(value)


class FakeZoho(FakeCrm):
    def __init__(
        self,
        client_id: str = "1000.CLIENT",
        client_secret: str = "zoho-client-secret",
        refresh_token: str = "1000.refresh.token",
    ) -> None:
        super().__init__()
        self.client_id, self.client_secret, self.refresh_token = (
            client_id,
            client_secret,
            refresh_token,
        )
        self.tokens: set[str] = set()
        self.token_calls = 0
        self.records: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in FIELDS}
        self.modified: dict[str, dict[str, int]] = {m: {} for m in FIELDS}
        self.deleted: dict[str, list[tuple[str, int]]] = {m: [] for m in FIELDS}
        self.users: list[dict[str, Any]] = []
        self.page_tokens: dict[str, tuple[list[str], int, str]] = {}
        self.retry_after = 1
        self._next_id = 4150868000000100000
        self._sorted: dict[str, list[str] | None] = {}

    # --- data -------------------------------------------------------------------------
    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    def add_user(self, name: str, email: str, status: str = "active") -> str:
        user_id = self.new_id()
        self.users.append(
            {
                "id": user_id,
                "full_name": name,
                "email": email,
                "status": status,
                "role": {"name": "Sales", "id": "1"},
                "profile": {"name": "Standard", "id": "2"},
            }
        )
        return user_id

    def owner(self, user_id: str) -> dict[str, Any]:
        user = next(u for u in self.users if u["id"] == user_id)
        return {"id": user_id, "name": user["full_name"], "email": user["email"]}

    def put(self, module: str, record: dict[str, Any], record_id: str | None = None) -> str:
        """Create or replace a record; Created/Modified times are the fake's clock."""
        with self.lock:
            rid = record_id or record.get("id") or self.new_id()
            now = self.now_ms()
            old = self.records[module].get(rid)
            row = {**(old or {}), **record, "id": rid}
            row.setdefault("Created_Time", iso(now))
            row["Modified_Time"] = iso(now)
            self.records[module][rid] = row
            self.modified[module][rid] = now
            self._sorted[module] = None
            return rid

    def update(self, module: str, rid: str, **fields: Any) -> None:
        self.put(module, fields, rid)

    def delete(self, module: str, rid: str) -> None:
        with self.lock:
            del self.records[module][rid]
            del self.modified[module][rid]
            self.deleted[module].append((rid, self.now_ms()))
            self._sorted[module] = None

    def add_deal(self, owner: str, amount: Any, stage: str = "Qualification", **extra: Any) -> str:
        n = len(self.records["Deals"]) + 1
        record = {
            "Deal_Name": f"Deal {n}",
            "Amount": amount,
            "Stage": stage,
            "Closing_Date": "2026-11-15",
            "Probability": 40,
            "Owner": self.owner(owner),
            "Created_Time": "2026-10-02T10:00:00+08:00",
            **extra,
        }
        return self.put("Deals", record)

    def alive(self, module: str) -> list[dict[str, Any]]:
        return list(self.records[module].values())

    # --- HTTP ---------------------------------------------------------------------------
    def error(self, status: int, code: str, message: str, details: Any = None) -> Reply:
        return Reply(
            status, {"code": code, "details": details or {}, "message": message, "status": "error"}
        )

    def handle(self, method: str, path: str, query: dict, headers: Any, body: bytes) -> Reply:
        self.requests.append((method, path))
        if path == "/oauth/v2/token" and method == "POST":
            return self.token(body)
        if not path.startswith("/crm/v8/"):
            return self.error(
                404, "INVALID_URL_PATTERN", "Please check if the URL trigger is correct"
            )
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Zoho-oauthtoken ").strip()
        fault = self._business_fault()
        if fault == "expire":
            self.tokens.clear()
        if token not in self.tokens:
            return self.error(401, "INVALID_TOKEN", "invalid oauth token")
        if fault == "rate":
            return self.error(
                429, "TOO_MANY_REQUESTS", "Rate limit exceeded", {"retry_after": self.retry_after}
            )
        if fault == "fail":
            return self.error(500, "INTERNAL_ERROR", "Internal Server Error")
        rest = path.removeprefix("/crm/v8/").strip("/").split("/")
        since = headers.get("If-Modified-Since")
        since_ms = parse_iso_ms(since) if since else None
        self.counts["api"] += 1
        if rest == ["users"]:
            return self.list_users(query)
        if rest == ["settings", "fields"]:
            module = query.get("module", "")
            if module not in FIELDS:
                return self.error(
                    400, "INVALID_MODULE", "the module name given seems to be invalid"
                )
            return Reply(
                200, {"fields": [{"api_name": f, "data_type": "text"} for f in FIELDS[module]]}
            )
        module = rest[0]
        if module not in FIELDS:
            return self.error(
                400,
                "INVALID_MODULE",
                "the module name given seems to be invalid",
                {"resource_path_index": 0},
            )
        if rest[1:] == ["deleted"]:
            return self.list_deleted(module, query, since_ms)
        if rest[1:] == ["actions", "count"]:
            return Reply(200, {"count": len(self.records[module])})
        if len(rest) == 1:
            return self.list_records(module, query, since_ms)
        return self.error(404, "INVALID_URL_PATTERN", "Please check if the URL trigger is correct")

    def token(self, body: bytes) -> Reply:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        with self.lock:
            self.token_calls += 1
        if form.get("grant_type") != "refresh_token":
            return Reply(200, {"error": "unsupported_grant_type"})
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Reply(200, {"error": "invalid_client"})
        if form.get("refresh_token") != self.refresh_token:
            return Reply(200, {"error": "invalid_code"})
        token = f"1000.{uuid.uuid4().hex}.{uuid.uuid4().hex[:8]}"
        self.tokens.add(token)
        return Reply(
            200,
            {
                "access_token": token,
                "api_domain": self.url,
                "token_type": "Bearer",
                "expires_in": 3600,
            },
        )

    def list_users(self, query: dict) -> Reply:
        users = self.users
        if query.get("type") == "CurrentUser":
            users = users[:1]
        page, per_page = int(query.get("page", 1)), min(int(query.get("per_page", 200)), 200)
        chunk = users[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Reply(204)
        more = page * per_page < len(users)
        return Reply(
            200,
            {
                "users": chunk,
                "info": {
                    "per_page": per_page,
                    "count": len(chunk),
                    "page": page,
                    "more_records": more,
                },
            },
        )

    def _ordered(self, module: str, since_ms: int | None) -> list[str]:
        with self.lock:
            ordered = self._sorted.get(module)
            if ordered is None:
                mods = self.modified[module]
                ordered = sorted(mods, key=lambda rid: (mods[rid], rid))
                self._sorted[module] = ordered
            if since_ms is None:
                return ordered
            mods = self.modified[module]
            return [rid for rid in ordered if mods[rid] > since_ms]

    def list_records(self, module: str, query: dict, since_ms: int | None) -> Reply:
        if "fields" not in query:
            return self.error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"param_name": "fields"},
            )
        fields = [f for f in query["fields"].split(",") if f]
        if len(fields) > 50:
            return self.error(
                400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": 50, "param_name": "fields"}
            )
        per_page = int(query.get("per_page", 200))
        if not 1 <= per_page <= 200:
            return self.error(400, "INVALID_DATA", "invalid per_page", {"param_name": "per_page"})
        if query.get("sort_by", "id") not in ("id", "Created_Time", "Modified_Time"):
            return self.error(
                400,
                "INVALID_DATA",
                "the given sort_by is invalid",
                {
                    "param_name": "sort_by",
                    "supported_values": ["id", "Created_Time", "Modified_Time"],
                },
            )
        token = query.get("page_token")
        if token and "page" in query and int(query["page"]) > 1:
            return self.error(400, "AMBIGUITY_DURING_PROCESSING", "page and page_token together")
        if token:
            if token not in self.page_tokens:
                return self.error(
                    400, "EXPIRED_VALUE", "the page_token has expired", {"param_name": "page_token"}
                )
            ids, start, _key = self.page_tokens[token]
            page = None
        else:
            page = int(query.get("page", 1))
            if page * per_page > DISCRETE_LIMIT:
                return self.error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "You can only get the first 2000 records without using page_token param",
                    {"limit": 2000},
                )
            ids, start = self._ordered(module, since_ms), (page - 1) * per_page
        if start >= TOKEN_LIMIT:
            return self.error(
                400,
                "PAGINATION_LIMIT_EXCEEDED",
                "You can only get upto 100000 records using page_token param",
                {"param_name": "page_token"},
            )
        chunk_ids = ids[start : start + per_page]
        rows = self.records[module]
        data = []
        for rid in chunk_ids:
            row = rows.get(rid)
            if row is not None:
                data.append({f: row.get(f) for f in ["id", *fields] if f in row})
        if not data and start == 0:
            return Reply(304 if since_ms is not None else 204)
        more = start + per_page < len(ids)
        info: dict[str, Any] = {
            "per_page": per_page,
            "count": len(data),
            "page": page or 0,
            "sort_by": "Modified_Time",
            "sort_order": "asc",
            "more_records": more,
            "next_page_token": None,
            "previous_page_token": None,
            "page_token_expiry": None,
            "call": False,
            "email": False,
        }
        if more:
            snapshot = ids if token else list(ids)
            next_token = uuid.uuid4().hex[:24]
            self.page_tokens[next_token] = (snapshot, start + per_page, module)
            info["next_page_token"] = next_token
        body = {"data": data, "info": info}
        import json

        return Reply(200, json.dumps(body, default=_json_default).encode())

    def list_deleted(self, module: str, query: dict, since_ms: int | None) -> Reply:
        entries = [
            (rid, at) for rid, at in self.deleted[module] if since_ms is None or at > since_ms
        ]
        page, per_page = int(query.get("page", 1)), min(int(query.get("per_page", 200)), 200)
        chunk = entries[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Reply(204)
        return Reply(
            200,
            {
                "data": [
                    {
                        "id": rid,
                        "display_name": None,
                        "type": "recycle",
                        "deleted_time": iso(at),
                        "deleted_by": None,
                        "created_by": None,
                    }
                    for rid, at in chunk
                ],
                "info": {
                    "per_page": per_page,
                    "count": len(chunk),
                    "page": page,
                    "more_records": page * per_page < len(entries),
                },
            },
        )

"""Zoho CRM (Records API v8): OAuth refresh-token flow, paging, incremental reads, deletions.

- Tokens: `POST {accounts}/oauth/v2/token` with the refresh token; the access token is cached
  (shared cache, encrypted) until 5 minutes before `expires_in`, refreshed by one process at a
  time; `api_domain` from the token response is the API base unless overridden.
- Records: `GET /crm/v8/{module}?fields=…&per_page=200&sort_by=Modified_Time&sort_order=asc`
  with `If-Modified-Since`; `page` for the first 2,000 records, then `info.next_page_token`.
  204 and 304 mean "no changes".
- Deletions: `GET /crm/v8/{module}/deleted?type=all` with `If-Modified-Since`.
- Errors: `TOO_MANY_REQUESTS`/429 → backoff (honouring `details.retry_after`), 5xx and
  `INTERNAL_ERROR` → backoff, `INVALID_TOKEN` → refresh once and retry, `EXPIRED_VALUE` on a
  page token → the pass restarts; every other code is reported with its message.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.utils.translation import gettext as _

from .base import (
    CrmAuthError,
    CrmError,
    CrmUserInfo,
    CursorExpired,
    Page,
    RateLimited,
    TokenExpired,
    Transient,
    conf,
    datetime_to_ms,
    local_date,
    parse_json,
)
from .common import BaseProvider, RecordError

API_VERSION = "v8"
DISCRETE_LIMIT = 2000  # records reachable with `page` alone
REFRESH_MARGIN = 300  # refresh this many seconds before the token expires

DATA_CENTRES = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
}
REGION_LABELS = {
    "us": "US (zoho.com)",
    "eu": "EU (zoho.eu)",
    "in": "India (zoho.in)",
    "cn": "China (zoho.com.cn)",
    "au": "Australia (zoho.com.au)",
    "jp": "Japan (zoho.jp)",
    "ca": "Canada (zohocloud.ca)",
    "sa": "Saudi Arabia (zoho.sa)",
}
SECRET_FIELDS = ("client_secret", "refresh_token")


def _iso(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return moment.replace(microsecond=0).isoformat()


class ZohoProvider(BaseProvider):
    key = "zoho"
    has_deleted_feed = True
    owner_field = "Owner"
    api_domain_seen = ""

    # --- hosts and tokens ---------------------------------------------------------------
    @property
    def accounts_base(self) -> str:
        default = DATA_CENTRES.get(self.connection.region, DATA_CENTRES["us"])[0]
        return (self.connection.accounts_url or default).rstrip("/")

    def api_base(self, token: dict[str, Any]) -> str:
        if self.connection.api_url:
            return self.connection.api_url.rstrip("/")
        default = DATA_CENTRES.get(self.connection.region, DATA_CENTRES["us"])[1]
        return (token.get("api_domain") or default).rstrip("/")

    def token(self) -> dict[str, Any]:
        cached = self.tokens.get()
        if cached is not None:
            return cached
        with self.tokens.single_flight():
            # Whoever held the lock before us may have stored a fresh token meanwhile.
            cached = self.tokens.get()
            if cached is not None:
                return cached
            return self._refresh()

    def _refresh(self) -> dict[str, Any]:
        secrets = self.connection.secrets()
        if not (
            self.connection.client_id
            and secrets.get("client_secret")
            and secrets.get("refresh_token")
        ):
            raise CrmAuthError(_("Client id, client secret and refresh token are all needed."))
        form = {
            "grant_type": "refresh_token",
            "client_id": self.connection.client_id,
            "client_secret": secrets["client_secret"],
            "refresh_token": secrets["refresh_token"],
        }

        def attempt() -> dict[str, Any]:
            response = self.http.send("POST", f"{self.accounts_base}/oauth/v2/token", data=form)
            if response.status_code >= 500:
                raise Transient(f"Zoho accounts answered HTTP {response.status_code}.")
            body = parse_json(response) or {}
            if response.status_code == 429:
                raise RateLimited("Zoho accounts: too many token requests.", code="429")
            if "access_token" not in body:
                error = body.get("error") or f"HTTP {response.status_code}"
                if "too many" in str(body.get("error_description", "")).lower():
                    raise RateLimited("Zoho accounts: too many token requests.", code=str(error))
                raise CrmAuthError(
                    _("Zoho refused the credentials (%(error)s).") % {"error": error},
                    code=str(error),
                )
            return body

        body = self.http.retrying(attempt)
        expires_in = int(body.get("expires_in") or body.get("expires_in_sec") or 3600)
        data = {
            "token": body["access_token"],
            "api_domain": body.get("api_domain", ""),
            "expires_at": time.time() + max(30, expires_in - REFRESH_MARGIN),
        }
        self.tokens.put(data)
        # Recorded for the engine to store (it runs in the main thread; fetches may not).
        self.api_domain_seen = data["api_domain"] or self.api_domain_seen
        return data

    # --- requests -----------------------------------------------------------------------
    def get(
        self, path: str, params: dict[str, Any] | None = None, since_ms: int | None = None
    ) -> tuple[int, Any]:
        """GET {api}/crm/v8/{path}: (status, JSON or None) after retries and one refresh."""
        refreshed = False
        while True:
            token = self.token()
            try:
                return self.http.retrying(lambda t=token: self._get_once(t, path, params, since_ms))
            except TokenExpired:
                if refreshed:
                    raise CrmAuthError(_("Zoho refused a freshly refreshed token.")) from None
                self.tokens.forget(token["token"])
                refreshed = True

    def _get_once(
        self, token: dict[str, Any], path: str, params: dict[str, Any] | None, since_ms: int | None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Zoho-oauthtoken {token['token']}"}
        if since_ms is not None:
            headers["If-Modified-Since"] = _iso(since_ms)
        url = f"{self.api_base(token)}/crm/{API_VERSION}/{path}"
        response = self.http.send("GET", url, params=params, headers=headers)
        status = response.status_code
        if status in (204, 304):
            return status, None
        if status >= 500:
            raise Transient(f"Zoho answered HTTP {status}.", status=status)
        body = parse_json(response)
        if status == 200 and not (isinstance(body, dict) and body.get("status") == "error"):
            return status, body
        error = body if isinstance(body, dict) else {}
        if isinstance(error.get("data"), list) and error["data"]:
            error = error["data"][0]
        code = str(error.get("code") or f"HTTP {status}")
        message = str(error.get("message") or "")
        details = error.get("details") or {}
        if code == "TOO_MANY_REQUESTS" or status == 429:
            retry_after = details.get("retry_after") if isinstance(details, dict) else None
            header = response.headers.get("Retry-After")
            if retry_after is None and header and header.isdigit():
                retry_after = int(header)
            raise RateLimited(
                f"Zoho: {code}",
                code=code,
                retry_after=None if retry_after is None else float(retry_after),
            )
        if code == "INVALID_TOKEN":
            raise TokenExpired("Zoho: INVALID_TOKEN", code=code, status=status)
        if code == "INTERNAL_ERROR":
            raise Transient(f"Zoho: {code}", code=code, status=status)
        if code == "EXPIRED_VALUE":
            raise CursorExpired(f"Zoho: {code} {message}", code=code, status=status)
        if code in ("AUTHENTICATION_FAILURE", "OAUTH_SCOPE_MISMATCH", "NO_PERMISSION"):
            raise CrmAuthError(f"Zoho: {code} {message}".strip(), code=code, status=status)
        raise CrmError(f"Zoho: {code} {message} {details or ''}".strip(), code=code, status=status)

    # --- the provider interface ---------------------------------------------------------
    def test(self) -> str:
        _status, body = self.get("users", {"type": "CurrentUser"})
        users = (body or {}).get("users") or [{}]
        who = users[0].get("email") or users[0].get("full_name") or "?"
        return _("Connected to Zoho CRM as %(who)s.") % {"who": who}

    def users(self) -> list[CrmUserInfo]:
        result: list[CrmUserInfo] = []
        page = 1
        while True:
            _status, body = self.get("users", {"type": "AllUsers", "page": page, "per_page": 200})
            for user in (body or {}).get("users", []):
                result.append(
                    CrmUserInfo(
                        external_id=str(user["id"]),
                        name=str(user.get("full_name") or ""),
                        email=str(user.get("email") or ""),
                        active=user.get("status", "active") == "active",
                    )
                )
            if not (body or {}).get("info", {}).get("more_records"):
                return result
            page += 1

    def field_names(self, crm_object: str) -> set[str]:
        _status, body = self.get("settings/fields", {"module": crm_object})
        return {f["api_name"] for f in (body or {}).get("fields", [])}

    def count(self, crm_object: str, since_ms: int | None) -> int | None:
        if since_ms is not None:
            return None
        try:
            _status, body = self.get(f"{crm_object}/actions/count")
        except CrmError:
            return None
        return int((body or {}).get("count") or 0)

    def fetch(
        self, crm_object: str, fields: list[str], since_ms: int | None, pos: dict[str, Any]
    ) -> Page:
        per_page = int(conf("ZOHO_PER_PAGE", 200))
        wanted = sorted({"id", "Modified_Time", *fields})
        if len(wanted) > 50:
            raise CrmError(
                _("Zoho returns at most 50 fields; this mapping asks for %(n)s.")
                % {"n": len(wanted)}
            )
        params: dict[str, Any] = {
            "fields": ",".join(wanted),
            "per_page": per_page,
            "sort_by": "Modified_Time",
            "sort_order": "asc",
        }
        page = int(pos.get("page", 1))
        if pos.get("page_token"):
            params["page_token"] = pos["page_token"]
        else:
            params["page"] = page
        _status, body = self.get(crm_object, params, since_ms)
        if not body:
            return Page([], None)
        records = body.get("data") or []
        info = body.get("info") or {}
        if not info.get("more_records"):
            return Page(records, None)
        if not pos.get("page_token") and page * per_page < DISCRETE_LIMIT:
            return Page(records, {"page": page + 1})
        token = info.get("next_page_token")
        if not token:
            raise CrmError(_("Zoho has more records but gave no next_page_token."))
        return Page(records, {"page_token": token, "page": page + 1})

    def fetch_deleted(self, crm_object: str, since_ms: int | None, pos: dict[str, Any]) -> Page:
        page = int(pos.get("page", 1))
        _status, body = self.get(
            f"{crm_object}/deleted",
            {"type": "all", "page": page, "per_page": int(conf("ZOHO_PER_PAGE", 200))},
            since_ms,
        )
        if not body:
            return Page([], None)
        records = [
            {"id": str(r["id"]), "Modified_Time": r.get("deleted_time")}
            for r in body.get("data") or []
        ]
        more = (body.get("info") or {}).get("more_records")
        return Page(records, {"page": page + 1} if more else None)

    # --- values -------------------------------------------------------------------------
    def record_id(self, record: dict[str, Any]) -> str:
        return str(record["id"])

    def modified_ms(self, record: dict[str, Any]) -> int | None:
        value = record.get("Modified_Time")
        if not value:
            return None
        return datetime_to_ms(datetime.datetime.fromisoformat(str(value)))

    def ref(self, record: dict[str, Any], field: str) -> str | None:
        value = self.raw(record, field)
        if isinstance(value, dict):
            value = value.get("id")
        return str(value) if value not in (None, "") else None

    def user_ref(self, record: dict[str, Any], field: str) -> tuple[str, str] | None:
        value = self.raw(record, field)
        if isinstance(value, dict) and value.get("id"):
            return str(value["id"]), str(value.get("email") or "")
        if value:
            return str(value), ""
        return None

    def date(self, record: dict[str, Any], field: str) -> datetime.date | None:
        value = self.raw(record, field)
        if value in (None, ""):
            return None
        text = str(value)
        try:
            if len(text) == 10:
                return datetime.date.fromisoformat(text)
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(f"{field}: {text!r} is not a date") from None
        if moment.tzinfo is None:
            return moment.date()
        return local_date(moment)

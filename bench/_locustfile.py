"""Locust users for `bench/load.py` (never imported by Django or pytest: locust loads gevent).

Run by bench/load.py as a subprocess; it writes the context file (accounts, password, endpoint
mix per role) and points LOAD_CONTEXT at it. Each simulated user logs in through the real login
form (CSRF token from the page, session cookie), then picks weighted steps from its role's
mix with a think time between them: page and API reads, and the two fact writes — logging an
activity through the quick-log form (as htmx posts it) and updating one of its deals through
`PATCH /api/v1/deals/{id}/` (session + X-CSRFToken, as the pages' scripts do).

The bench talks plain HTTP to gunicorn on 127.0.0.1 the way a TLS-terminating proxy does: it
sends `X-Forwarded-Proto: https` (so Django sees a secure request: Secure cookies, CSRF referer
checks, no redirect) and its cookie jar returns the production `__Secure-` cookies over that
loopback connection.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import re
from http.cookiejar import DefaultCookiePolicy
from typing import Any

from locust import HttpUser, between, task

with open(os.environ["LOAD_CONTEXT"], encoding="utf-8") as _handle:
    CONTEXT: dict[str, Any] = json.load(_handle)
WAIT = CONTEXT.get("wait", [1.0, 3.0])
PASSWORD = CONTEXT["password"]
ACCOUNTS = {role: itertools.cycle(names) for role, names in CONTEXT["accounts"].items()}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _secure_cookies_over_loopback(self: Any, cookie: Any, request: Any) -> bool:
    return True


# Secure cookies go back over the loopback HTTP hop, as behind a TLS proxy. Patched on the
# class: requests copies the session's cookies into a fresh jar (default policy) per request.
# This process only ever talks to the bench's gunicorn on 127.0.0.1.
DefaultCookiePolicy.return_ok_secure = _secure_cookies_over_loopback  # type: ignore[method-assign]


class SalesUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(WAIT[0], WAIT[1])

    def on_start(self) -> None:
        origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        self.client.headers.update(
            {"X-Forwarded-Proto": "https", "Referer": origin + "/", "Accept-Language": "zh-hans"}
        )
        self.username = next(ACCOUNTS[self.role])
        mix = CONTEXT["endpoints"][self.role]
        self.steps = [step for step in mix]
        self.weights = [step["weight"] for step in mix]
        self.deal_ids: list[int] = []
        self.login()

    # --- helpers -----------------------------------------------------------------------------

    def csrf(self) -> str:
        for cookie in self.client.cookies:
            if cookie.name.endswith("csrftoken"):
                return cookie.value or ""
        return ""

    def login(self) -> None:
        page = self.client.get("/accounts/login/", name=f"{self.role}: login page")
        found = CSRF_INPUT.search(page.text or "")
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": found.group(1) if found else "",
            },
            name=f"{self.role}: login POST",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.username} answered {response.status_code}")

    def get(self, step: dict[str, Any]) -> None:
        url = step["url"].replace("{rep}", str(CONTEXT["rep_of"].get(self.username, "")))
        with self.client.get(url, name=step["name"], catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {self.username}")
            elif "/accounts/login/" in response.url:
                response.failure(f"logged out: {self.username}")

    def log_activity(self, step: dict[str, Any]) -> None:
        token = self.csrf()
        today = datetime.date.fromisoformat(CONTEXT["today"])
        with self.client.post(
            "/kpis/activities/log/",
            data={
                "csrfmiddlewaretoken": token,
                "quick-subject": f"Call {random.randrange(1_000_000)}",
                "quick-kind": random.choice(["call", "visit", "meeting", "email"]),
                "quick-activity_date": (
                    today - datetime.timedelta(days=random.randrange(7))
                ).isoformat(),
            },
            headers={"HX-Request": "true", "X-CSRFToken": token},
            name=step["name"],
            catch_response=True,
        ) as response:
            if response.status_code != 200 or response.headers.get("HX-Retarget"):
                response.failure(f"{response.status_code}: {response.text[:300]}")

    def update_deal(self, step: dict[str, Any]) -> None:
        if not self.deal_ids:
            with self.client.get(
                "/api/v1/deals/?status=open&page_size=20",
                name=f"{self.role}: /api/v1/deals/?status=open",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}")
                    return
                # A rep edits only deals they own (not those they hold a credit share of).
                mine = CONTEXT["ids"].get(self.username)
                self.deal_ids = [
                    row["id"]
                    for row in response.json().get("results", [])
                    if self.role != "rep" or row["owner"] == mine
                ]
            if not self.deal_ids:
                return
        deal = random.choice(self.deal_ids)
        with self.client.patch(
            f"/api/v1/deals/{deal}/",
            json={
                "amount": f"{random.randrange(1_000, 500_000)}.00",
                "probability": random.randrange(10, 90),
                "stage": random.choice(["qualify", "propose", "negotiate"]),
            },
            headers={"X-CSRFToken": self.csrf()},
            name=step["name"],
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:300]}")

    @task
    def step(self) -> None:
        step = random.choices(self.steps, weights=self.weights)[0]
        action = step.get("action", "get")
        if action == "log_activity":
            self.log_activity(step)
        elif action == "update_deal":
            self.update_deal(step)
        else:
            self.get(step)


class Rep(SalesUser):
    role = "rep"
    weight = CONTEXT["mix"]["rep"]


class Manager(SalesUser):
    role = "manager"
    weight = CONTEXT["mix"]["manager"]


class Executive(SalesUser):
    role = "executive"
    weight = CONTEXT["mix"]["executive"]

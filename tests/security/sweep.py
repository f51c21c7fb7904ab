"""The machinery of the authorization sweep: access predicates, rules and the visitor.

A `Rule` says, for one route key, which object kind fills its URL and who may use each HTTP
method. Who-may is a predicate of (role, scope): the role of the signed-in person
(``anonymous``, ``rep``, ``manager``, ``executive``, ``admin``) and the scope of the object
the URL names (``own``/``peer``/``other``, see `tests.security.world`). `expected` turns the
predicate's answer into the statuses that count as right:

* allowed read: 200 (or the rule's ``ok``);
* allowed write: anything but a refusal (validation 400, form 200, redirect, 201, 204);
* refused (signed in): 403, or 404 when the object lies outside the person's scope
  (a scoped queryset cannot find it);
* anonymous: a page redirects to the login page, the API answers 401/403;
* admin site: the admin's own login page for everyone who is not staff.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.urls import reverse

from tests.security.routes import Route
from tests.security.world import World

ROLES = ("anonymous", "rep", "manager", "executive", "admin")
Pred = Callable[[str, str], bool]

# Which scopes each role visits when a route names an object: one inside and one outside.
VISITS = {
    "anonymous": ("own",),
    "rep": ("own", "peer"),  # own vs a colleague's in the same team
    "manager": ("own", "other"),  # Team A (North, managed) vs Team C (South)
    "executive": ("other",),  # sees everything: the far object is the one that matters
    "admin": ("other",),
}


# --- predicates --------------------------------------------------------------------------------
def anyone(role: str, scope: str) -> bool:
    return True


def signed_in(role: str, scope: str) -> bool:
    return role != "anonymous"


def admin_only(role: str, scope: str) -> bool:
    return role == "admin"


def sees_all(role: str, scope: str) -> bool:
    return role in ("admin", "executive")


def leaders(role: str, scope: str) -> bool:
    return role in ("admin", "executive", "manager")


def in_scope(role: str, scope: str) -> bool:
    """`salesgoals.scope.can_view`/`can_edit` of owned data: all, subtree, own."""
    if role in ("admin", "executive"):
        return True
    if role == "manager":
        return scope in ("own", "peer")
    return role == "rep" and scope == "own"


def leaders_in_scope(role: str, scope: str) -> bool:
    """Managers of the subtree, executives, admins; never a rep."""
    return role != "rep" and in_scope(role, scope)


def managers_in_scope(role: str, scope: str) -> bool:
    """Admins anywhere, managers in their subtree; executives read only."""
    return role == "admin" or (role == "manager" and scope in ("own", "peer"))


def team_in_scope(role: str, scope: str) -> bool:
    """Managers of the subtree, executives, admins, and the rep for their own object."""
    return in_scope(role, scope)


def nobody(role: str, scope: str) -> bool:
    return False


def only(*roles: str) -> Pred:
    def pred(role: str, scope: str) -> bool:
        return role in roles

    return pred


def table(**by_role: Any) -> Pred:
    """Explicit answers: ``table(rep={"own"}, manager=True)``; missing roles are refused."""

    def pred(role: str, scope: str) -> bool:
        answer = by_role.get(role, False)
        return answer if isinstance(answer, bool) else scope in answer

    return pred


# --- rules -------------------------------------------------------------------------------------
ADMIN_SITE = "admin-site"


@dataclass(frozen=True)
class Rule:
    """How one route key is reached and who may use each method.

    kind: the world object kind whose ``pk`` fills the URL (None: no object), or
      ``kwargs`` to build them. methods: method -> predicate; for DRF routes a method the
      view answers but the rule does not list is a classification error.
    """

    methods: dict[str, Pred]
    kind: str | None = None
    kwargs: Callable[[World, str], dict[str, Any]] | None = None
    ok: frozenset[int] = frozenset({200})
    note: str = ""
    special: str = ""  # ADMIN_SITE
    scopes: tuple[str, ...] | None = None  # restrict the scopes visited (singletons)
    query: Callable[[World, str], dict[str, Any]] | None = None  # GET parameters
    data: Callable[[World, str], dict[str, Any]] | None = None  # body of a page POST
    roles: tuple[str, ...] | None = None  # visit only as these roles (see its note)


def R(kind: str | None = None, get: Pred | None = None, **methods: Any) -> Rule:
    """Shorthand: ``R("deal", get=in_scope, put=in_scope)``; ``ok``/``kwargs``/``note`` pass
    through."""
    passed = ("ok", "kwargs", "note", "scopes", "query", "data", "roles")
    extra = {k: methods.pop(k) for k in passed if k in methods}
    if "ok" in extra:
        extra["ok"] = frozenset(extra["ok"])
    found = {m: p for m, p in methods.items() if p is not None}
    if get is not None:
        found = {"get": get, **found}
    return Rule(methods=found, kind=kind, **extra)


# --- visiting ----------------------------------------------------------------------------------
@dataclass
class Visit:
    method: str
    scope: str
    url: str
    status: int
    location: str
    allowed: bool
    ok: bool
    why: str = ""
    ms: float = 0.0


@dataclass
class Outcome:
    visits: list[Visit] = field(default_factory=list)

    @property
    def wrong(self) -> list[Visit]:
        return [v for v in self.visits if not v.ok]

    def report(self) -> str:
        return "\n".join(
            f"  {v.method.upper():6} {v.url} [{v.scope}] -> {v.status} {v.location}"
            f" (expected {'allowed' if v.allowed else 'refused'}: {v.why})"
            for v in self.wrong
        )


def url_kwargs(rule: Rule, world: World, scope: str) -> dict[str, Any]:
    if rule.kwargs is not None:
        return rule.kwargs(world, scope)
    if rule.kind is not None:
        return {"pk": world.objects[rule.kind][scope].pk}
    return {}


def scopes_for(rule: Rule, world: World, role: str, twin: bool = False) -> tuple[str, ...]:
    if rule.kind is None and rule.kwargs is None and rule.query is None:
        return ("own",)
    visits = VISITS[role][-1:] if twin else VISITS[role]
    if rule.scopes is not None:
        return tuple(s for s in visits if s in rule.scopes) or ("own",)
    if rule.kind is not None:
        have = world.objects[rule.kind]
        return tuple(s for s in visits if s in have) or ("own",)
    return visits


def _judge(route: Route, rule: Rule, role: str, method: str, allowed: bool, response) -> tuple:
    status = response.status_code
    location = response.get("Location", "") if status in (301, 302, 303) else ""
    if status >= 500:
        return False, "server error"
    if rule.special == ADMIN_SITE:
        if role == "admin":
            # Reached the admin site (a missing object 1 redirects to the index; a view the
            # admin disables, e.g. adding axes records, answers 403 by design).
            return not location.startswith("/admin/login/"), "staff may use the admin site"
        return status == 302 and location.startswith("/admin/login/"), "admin login for non-staff"
    if role == "anonymous" and not allowed:
        if route.is_api:
            return status in (401, 403), "API refuses anonymous"
        return status == 302 and location.startswith("/accounts/login/"), "login redirect"
    if not allowed:
        if method != "get" and not route.is_api and status == 302 and _error_flashed(response):
            return True, "refused (sent back with an error message)"
        if method != "get" and status == 400:
            # An empty body is rejected before the service's own permission check; the
            # write changed nothing. Refusals with real payloads: test_mass_assignment.py.
            return True, "refused (validation first)"
        return status in (403, 404), "refused"
    if method == "get":
        return status in rule.ok, f"status in {sorted(rule.ok)}"
    refused = status in (401, 403, 404, 405)
    if role != "anonymous" and location.startswith(("/accounts/login/?", "/admin/login/")):
        refused = True  # sent to sign in although signed in
    return not refused, "write accepted or validated"


def _error_flashed(response) -> bool:
    """A page that refuses a write by redirecting back with an error message."""
    from django.contrib import messages

    request = getattr(response, "wsgi_request", None)
    if request is None or not hasattr(request, "_messages"):
        return False
    return any(m.level >= messages.ERROR for m in request._messages)


def _send(client, route: Route, method: str, url: str, query: dict, data: dict):
    if route.is_api:
        if method == "get":
            accept = {} if route.format_suffix else {"HTTP_ACCEPT": "application/json"}
            return client.get(url, query, **accept)
        return client.generic(
            method.upper(),
            url,
            data=json.dumps({}),
            content_type="application/json",
            HTTP_ACCEPT="application/json",
        )
    if method == "get":
        return client.get(url, query)
    return client.post(url, data)


def _exports_csv(route: Route, method: str) -> bool:
    """A list that renders CSV: its `.csv` twin is the export a spreadsheet user clicks."""
    cls = getattr(route.callback, "cls", None)
    renderers = getattr(cls, "renderer_classes", ()) if cls else ()
    return (
        method == "get"
        and (route.name or "").endswith("-list")
        and any(getattr(r, "format", "") == "csv" for r in renderers)
    )


def _reverse(route: Route, kwargs: dict[str, Any], fmt: str | None) -> str:
    if route.format_suffix:
        kwargs = {**kwargs, "format": fmt or "json"}
    return reverse(route.name, kwargs=kwargs) if route.name else _fill(route.pattern, kwargs)


def _fill(pattern: str, kwargs: dict[str, Any]) -> str:
    import re

    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs.get(m.group(1), 1)), pattern)
    return "/" + path


def visit(
    client,
    route: Route,
    rule: Rule,
    world: World,
    role: str,
    admin_url: Callable[[Route], str] | None = None,
) -> Outcome:
    outcome = Outcome()
    methods = route.api_methods if route.is_api else tuple(rule.methods)
    if route.format_suffix:
        # The `.json`/`.csv` twin runs the same view: its first method, on the role's
        # outside object (or the list), is enough to show the suffix bypasses nothing.
        methods = methods[:1]
    if rule.roles is not None and role not in rule.roles:
        return outcome
    if rule.special == ADMIN_SITE and role == "admin":
        methods = ("get",)  # staff reach the page; an admin's POST would only edit data
    for scope in scopes_for(rule, world, role, twin=route.format_suffix):
        for method in methods:
            pred = rule.methods.get(method)
            if pred is None:
                outcome.visits.append(
                    Visit(method, scope, route.pattern, 0, "", False, False, "unclassified method")
                )
                continue
            allowed = pred(role, scope)
            if rule.special == ADMIN_SITE and admin_url is not None:
                url = admin_url(route)
            else:
                kwargs = url_kwargs(rule, world, scope)
                url = _reverse(route, kwargs, "csv" if _exports_csv(route, method) else None)
            query = rule.query(world, scope) if rule.query else {}
            data = rule.data(world, scope) if rule.data else {}
            cookies = copy.deepcopy(client.cookies)  # a logout or language switch stays here
            started = time.perf_counter()
            with transaction.atomic():
                response = _send(client, route, method, url, query, data)
                transaction.set_rollback(True)
            elapsed = time.perf_counter() - started
            client.cookies = cookies
            ok, why = _judge(route, rule, role, method, allowed, response)
            location = (
                response.get("Location", "") if response.status_code in (301, 302, 303) else ""
            )
            outcome.visits.append(
                Visit(
                    method,
                    scope,
                    url,
                    response.status_code,
                    location,
                    allowed,
                    ok,
                    why,
                    round(elapsed * 1000, 1),
                )
            )
    return outcome

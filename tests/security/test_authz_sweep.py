"""Authorization sweep: every URL pattern × every role, inside and outside the role's scope.

The routes are enumerated from `django.urls.get_resolver()` (pages, `/api/v1/` routes with
their router-generated list/detail/extra actions and `.json`/`.csv` format twins, the admin
site, auth, i18n, schema and docs). `TABLE` classifies each route key; a route that is not in
it — or a key in it that no longer exists — fails `test_every_route_is_classified`. How to
classify a new route: ARCHITECTURE (`/tmp/arch/authz.md` → Security) and `sweep.py`.

World: `tests.security.world` (built once per module). Each request runs in a savepoint that is
rolled back, so a write that succeeds (an admin deleting a deal) changes nothing for the next.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.security.routes import Route, all_routes
from tests.security.sweep import (
    ADMIN_SITE,
    ROLES,
    R,
    Rule,
    admin_only,
    anyone,
    in_scope,
    leaders,
    leaders_in_scope,
    managers_in_scope,
    only,
    sees_all,
    signed_in,
    table,
    visit,
)
from tests.security.world import World, build_world

W = R  # readability in the table: W(...) for routes that only write

# --- URL builders for routes whose kwargs are not one `pk` ------------------------------------


def fact(slug: str, kind: str):
    return lambda w, s: {"slug": slug, "pk": w.objects[kind][s].pk}


def course_code(w: World, s: str) -> dict[str, Any]:
    return {"code": w.objects["course"]["own"].code}


def revision(w: World, s: str) -> dict[str, Any]:
    return {"pk": w.extra["approved_plan"].pk, "number": w.extra["revision"].number}


def assignment_module(kind: str):
    return lambda w, s: {"pk": w.objects["assignment"][s].pk, "module": w.objects[kind]["own"].pk}


def connection_mapping(w: World, s: str) -> dict[str, Any]:
    return {"pk": w.objects["connection"]["own"].pk, "mapping_pk": w.objects["mapping"]["own"].pk}


def run(w: World, s: str) -> dict[str, Any]:
    return {"run_pk": w.objects["run"]["own"].pk}


def year(w: World, s: str) -> dict[str, Any]:
    return {"year": 2026}


def plan_step(w: World, s: str) -> dict[str, Any]:
    return {"pk": w.objects["target_plan"][s].pk, "step": "submit"}


def slug(value: str):
    return lambda w, s: {"slug": value}


def metric_code(w: World, s: str) -> dict[str, Any]:
    return {"code": "revenue"}


def reset_confirm(w: World, s: str) -> dict[str, Any]:
    return {"uidb64": "MQ", "token": "set-password"}


def drill(w: World, s: str) -> dict[str, Any]:
    return {
        "metric": "revenue",
        "owner_type": "rep",
        "owner": w.owner(s).pk,
        "period": w.extra["month"].pk,
    }


def agenda(w: World, s: str) -> dict[str, Any]:
    return {"org_unit": w.org.north.pk, "period": w.extra["month"].pk}


def grid_parent(w: World, s: str) -> dict[str, Any]:
    return {"parent": f"unit:{w.objects['target_plan'][s].org_unit_id}"}


def resplit(w: World, s: str) -> dict[str, Any]:
    return {"period_method": "working_days", "owner_method": "even"}


def crm_user(w: World, s: str) -> dict[str, Any]:
    return {"crm_user": w.objects["crm_user"]["own"].pk, "username": ""}


def compute(w: World, s: str) -> dict[str, Any]:
    return {"plan": w.objects["incentive_plan"]["own"].pk, "period": w.extra["quarter"].pk}


# Read and write rules that differ from plain scope (ARCHITECTURE, plans/selectors):
STRATEGY_READ = table(admin=True, executive=True, manager={"own", "peer"}, rep={"own", "peer"})
MARKET_READ = table(admin=True, executive=True, manager={"own", "peer"}, rep={"own", "peer"})
# Only drafts are recomputed (`other` is approved): leaders in scope, on a draft.
RECOMPUTE = table(admin={"own", "peer"}, executive={"own", "peer"}, manager={"own", "peer"})
TASK_MOVE = table(admin=True, manager={"own", "peer"}, rep={"own"})  # executives read only

GP = {"ok": {200, 302}}  # pages that may answer a GET with a redirect (e.g. to the right area)
ONE = ("own",)  # singletons: configuration objects have no owner, one is enough

# --- the classification table --------------------------------------------------------------------
# key -> Rule. Predicates: see tests/security/sweep.py. Writes of pages are sent as an empty POST.
TABLE: dict[str, Rule] = {
    # core pages
    "home": R(get=signed_in),
    "area": R(get=signed_in, kwargs=slug("targets"), scopes=ONE),
    "notifications": R(get=signed_in),
    "notifications-read": W(post=signed_in),
    "org-tree": R(get=signed_in),
    "org-unit-create": R(get=admin_only, post=admin_only),
    "org-unit-detail": R("unit", get=in_scope),
    "org-unit-people": R("unit", get=in_scope, ok={302}),  # redirects to the filtered list
    "org-unit-update": W("unit", post=admin_only),
    "org-unit-add-child": W("unit", post=admin_only),
    "org-unit-move": W("unit", post=admin_only),
    "org-unit-manager": W("unit", post=admin_only),
    "org-unit-move-member": W("unit", post=admin_only),
    "org-unit-delete": W("unit", post=admin_only),
    "user-list": R(get=signed_in),
    "user-create": R(get=admin_only, post=admin_only),
    "user-detail": R("user", get=in_scope),
    "user-update": R("user", get=admin_only, post=admin_only),
    "calendar": R(get=signed_in),
    "calendar-generate": W(post=admin_only),
    "calendar-recompute": W(kwargs=year, post=admin_only, scopes=ONE),
    "calendar-day-add": W(post=admin_only),
    "calendar-day-remove": W("calendar_day", post=admin_only),
    "calendar-settings": W(post=admin_only),
    # kpis pages
    "kpis:index": R(get=signed_in),
    "kpis:activities": R(get=signed_in),
    "kpis:activity-log": W(post=signed_in),
    "kpis:deals": R(get=signed_in),
    "kpis:deal-detail": R("deal", get=in_scope),
    "kpis:deal-won": W("deal", post=in_scope),
    "kpis:deal-lost": W("deal", post=in_scope),
    "kpis:orders": R(get=signed_in),
    "kpis:payments": R(get=signed_in),
    "kpis:customers": R(get=signed_in),
    "kpis:leads": R(get=signed_in),
    "kpis:fact-create": R(kwargs=slug("deals"), get=signed_in, post=signed_in, scopes=ONE),
    "kpis:fact-edit": R(kwargs=fact("deals", "deal"), get=in_scope, post=in_scope),
    "kpis:fact-delete": W(kwargs=fact("customers", "customer"), post=in_scope),
    "dashboards:home": R(get=signed_in, **GP),
    "dashboards:executive": R(get=sees_all),
    "dashboards:manager": R(get=leaders),
    "dashboards:rep": R(get=signed_in),
    "dashboards:drill": R(query=drill, get=in_scope),
    # targets pages
    "targets:home": R(get=signed_in),
    "targets:mine": R(get=signed_in),
    "targets:create": R(get=leaders, post=leaders),
    # The wizard's live SMART check: the form offers only the units the person may plan for.
    "targets:validate": W(post=signed_in),
    "targets:plan": R("target_plan", get=in_scope),
    "targets:grid": R("target_plan", get=in_scope),
    "targets:grid-rows": R("target_plan", query=grid_parent, get=in_scope),
    "targets:resplit": W("target_plan", data=resplit, post=leaders_in_scope),
    "targets:export": R("target_plan", get=in_scope),
    # Import and owners are cell-level editors: everyone who sees the plan opens them and the
    # service refuses each line the person may not edit (tests/targets, plan_owners_update).
    "targets:import": R("target_plan", get=in_scope, post=in_scope),
    "targets:history": R("target_plan", get=in_scope),
    "targets:owners": R("target_plan", get=in_scope, post=in_scope),
    "targets:revision-create": R("target_plan", get=leaders_in_scope, post=leaders_in_scope),
    "targets:revision": R(kwargs=revision, get=in_scope, scopes=ONE),
    "targets:step": W(kwargs=plan_step, post=leaders_in_scope),
    # crm_sync pages: configuration, admins only
    "crm_sync:home": R(get=admin_only),
    "crm_sync:create": R(get=admin_only, post=admin_only),
    "crm_sync:detail": R("connection", get=admin_only),
    "crm_sync:edit": R("connection", get=admin_only, post=admin_only),
    "crm_sync:test": W("connection", post=admin_only),
    "crm_sync:sync": W("connection", post=admin_only),
    "crm_sync:reset": W("connection", post=admin_only),
    "crm_sync:users": R("connection", data=crm_user, get=admin_only, post=admin_only),
    "crm_sync:mappings": R("connection", get=admin_only, post=admin_only),
    "crm_sync:mapping": R(kwargs=connection_mapping, get=admin_only, post=admin_only, scopes=ONE),
    "crm_sync:reconcile": R("connection", get=admin_only),
    "crm_sync:run": R(kwargs=run, get=admin_only, scopes=ONE),
    "crm_sync:progress": R(kwargs=run, get=admin_only, scopes=ONE),
    # plans pages
    "plans:feedback-list": R(get=signed_in),
    "plans:feedback-create": R(get=signed_in, post=signed_in),
    "plans:feedback-detail": R("feedback", get=in_scope),
    "plans:feedback-respond": W("feedback", post=in_scope),
    "plans:feedback-status": W("feedback", post=in_scope),
    "plans:home": R(get=signed_in, **GP),
    "plans:strategy-list": R(get=signed_in),
    "plans:strategy-create": R(get=only("admin", "manager"), post=only("admin", "manager")),
    # Strategies of one's unit and the units above it apply to a rep (both are North's).
    "plans:strategy-detail": R("strategy", get=STRATEGY_READ),
    "plans:strategy-edit": R("strategy", get=managers_in_scope, post=managers_in_scope),
    "plans:strategy-status": W("strategy", post=managers_in_scope),
    "plans:action-plan-list": R(get=signed_in),
    "plans:action-plan-create": R(get=only("admin", "manager"), post=only("admin", "manager")),
    "plans:action-plan-detail": R("action_plan", get=in_scope),
    "plans:action-plan-board": R("action_plan", get=in_scope),
    "plans:action-plan-timeline": R("action_plan", get=in_scope),
    "plans:action-plan-edit": R("action_plan", get=managers_in_scope, post=managers_in_scope),
    "plans:action-plan-status": W("action_plan", post=managers_in_scope),
    "plans:task-create": R("action_plan", get=managers_in_scope, post=managers_in_scope),
    "plans:task-detail": R("task", get=in_scope),
    "plans:task-edit": R("task", get=managers_in_scope, post=managers_in_scope),
    "plans:task-move": W("task", post=TASK_MOVE),
    "plans:my-tasks": R(get=signed_in),
    "plans:report-list": R(get=signed_in),
    "plans:report-create": R(get=signed_in, post=signed_in),
    "plans:review-meeting": R(get=leaders),
    "plans:report-snapshot": R(get=signed_in),
    "plans:report-detail": R("report", get=in_scope),
    "plans:report-edit": R("report", get=table(rep={"own"}), post=table(rep={"own"})),
    "plans:report-submit": W("report", post=table(rep={"own"})),
    "plans:report-comment": W("report", post=in_scope),
    "plans:report-review": W("report", post=leaders_in_scope),
    "plans:market-list": R(get=signed_in),
    "plans:market-create": R(get=leaders, post=leaders),
    "plans:market-detail": R("market_change", get=MARKET_READ),
    "plans:market-edit": R("market_change", get=leaders_in_scope, post=leaders_in_scope),
    "plans:market-propose": W("market_change", post=leaders_in_scope),
    # incentives pages
    "incentives:home": R(get=signed_in),
    "incentives:what-if": W(post=signed_in),
    "incentives:statements": R(get=signed_in),
    "incentives:statements-compute": W(data=compute, post=admin_only),
    # Bulk approval checks each statement like a single one: for anyone else it approves none.
    "incentives:statements-approve": W(post=signed_in),
    "incentives:payroll": R(get=leaders),  # approved and paid statements in scope
    "incentives:statement-detail": R("statement", get=in_scope),
    "incentives:statement-approve": W("statement", post=leaders_in_scope),
    "incentives:statement-pay": W("statement", post=admin_only),  # `other` is approved
    "incentives:statement-recompute": W("statement", post=RECOMPUTE),
    "incentives:plans": R(get=signed_in),
    "incentives:plan-create": R(get=admin_only, post=admin_only),
    "incentives:plan-preview": W(post=admin_only),
    "incentives:plan-detail": R("incentive_plan", get=signed_in),
    "incentives:plan-edit": R("incentive_plan", get=admin_only, post=admin_only),
    "incentives:leaderboard": R(get=signed_in),
    "incentives:badges": R(get=signed_in, post=leaders),
    "incentives:contest-create": W(post=sees_all),
    "incentives:contest-close": W("contest", post=sees_all),
    # training pages
    "training:catalogue": R(get=signed_in),
    "training:course-create": R(get=admin_only, post=admin_only),
    "training:course-detail": R(kwargs=course_code, get=signed_in, scopes=ONE),
    "training:course-edit": R(kwargs=course_code, get=admin_only, post=admin_only, scopes=ONE),
    "training:course-enrol": W(kwargs=course_code, post=signed_in, scopes=ONE),
    "training:module-create": R(kwargs=course_code, get=admin_only, post=admin_only, scopes=ONE),
    "training:module-edit": R("module", get=admin_only, post=admin_only),
    "training:module-delete": W("module", post=admin_only),
    "training:material-add": W("module", post=admin_only),
    "training:material-delete": W("material", post=admin_only),
    "training:quiz-set": W("quiz_module", post=admin_only),
    "training:quiz-delete": W("quiz_module", post=admin_only),
    "training:question-add": W("quiz_module", post=admin_only),
    "training:question-delete": W("question", post=admin_only),
    "training:my": R(get=signed_in),
    "training:assignment-detail": R("assignment", get=in_scope),
    "training:assignment-cancel": W("assignment", post=leaders_in_scope),
    "training:module-complete": W(kwargs=assignment_module("module"), post=table(rep={"own"})),
    "training:quiz-take": R(
        kwargs=assignment_module("quiz_module"), get=table(rep={"own"}), post=table(rep={"own"})
    ),
    "training:team": R(get=leaders),
    "training:assign": R(get=leaders, post=leaders),  # self-enrolment is course-enrol
    "training:skills": R(get=leaders),
    "training:recommendations": R(get=signed_in),
    "training:recommendations-compute": W(post=leaders),
    # Whoever may assign the person: a rep may take up (or dismiss) their own recommendation.
    "training:recommendation-assign": W("recommendation", post=in_scope),
    "training:recommendation-dismiss": W("recommendation", post=in_scope),
    "training:rules": R(get=admin_only),
    "training:rule-create": R(get=admin_only, post=admin_only),
    "training:rule-edit": R("rule", get=admin_only, post=admin_only),
    "training:rule-delete": W("rule", post=admin_only),
    "training:effectiveness": R(get=leaders),
    # auth, i18n: public by design
    "login": R(get=anyone, **GP),
    "logout": W(post=anyone, ok={200, 302}),
    "password_change": R(get=signed_in),
    "password_change_done": R(get=signed_in),
    "password_reset": R(get=anyone),
    "password_reset_done": R(get=anyone),
    "password_reset_confirm": R(kwargs=reset_confirm, get=anyone, scopes=ONE),
    "password_reset_complete": R(get=anyone),
    "set_language": W(post=anyone),
    # API: auth, schema, docs, root
    "api-token": W(post=anyone),
    # The schema is public and the same for everyone; generating it takes seconds, so it is
    # fetched anonymously and as a rep only.
    "api-schema": R(get=anyone, roles=("anonymous", "rep")),
    "api-docs": R(get=anyone),
    "api-root": R(get=signed_in),
    # audit history: administrators only
    "audit:list": R(get=admin_only),
    "audit-list": R(get=admin_only),
    # API: core
    "api-org-unit-list": R(get=signed_in, post=admin_only),
    "api-org-unit-detail": R("unit", get=in_scope, patch=admin_only, delete=admin_only),
    "api-user-list": R(get=signed_in, post=admin_only),
    "api-user-detail": R("user", get=in_scope, patch=admin_only),
    "fiscal-year-list": R(get=signed_in, post=admin_only),
    "fiscal-year-detail": R("fiscal_year", get=signed_in),
    "period-list": R(get=signed_in),
    "period-detail": R("period", get=signed_in),
    "calendar-day-list": R(get=signed_in, post=admin_only),
    "calendar-day-detail": R(
        "calendar_day", get=signed_in, put=admin_only, patch=admin_only, delete=admin_only
    ),
    "metric-list": R(get=signed_in, post=admin_only),
    "metric-detail": R(
        kwargs=metric_code,
        get=signed_in,
        put=admin_only,
        patch=admin_only,
        delete=admin_only,
        scopes=ONE,
    ),
    # API: kpis
    **{
        f"api-{kind}-list": R(get=signed_in, post=signed_in)
        for kind in ("customer", "lead", "deal", "order", "payment", "activity")
    },
    **{
        f"api-{kind}-detail": R(kind, get=in_scope, put=in_scope, patch=in_scope, delete=in_scope)
        for kind in ("customer", "lead", "deal", "order", "payment", "activity")
    },
    "api-deal-lost": W("deal", post=in_scope),
    "api-deal-won": W("deal", post=in_scope),
    "kpi-value-list": R(get=signed_in),
    "kpi-value-detail": R("kpi", get=in_scope),
    "dashboard-executive-list": R(get=sees_all),
    "dashboard-manager-list": R(get=leaders),
    "dashboard-rep-list": R(get=signed_in),
    "dashboard-drill-list": R(query=drill, get=in_scope),
    # API: targets
    "target-plan-list": R(get=signed_in, post=leaders),
    "target-plan-validate": W(post=leaders),
    "target-plan-detail": R("target_plan", get=in_scope, put=leaders_in_scope),
    "target-plan-acknowledge": W("target_plan", post=in_scope),
    "target-plan-activate": W("target_plan", post=leaders_in_scope),
    "target-plan-approve": W("target_plan", post=leaders_in_scope),
    "target-plan-cells": R("target_plan", get=in_scope, patch=leaders_in_scope),
    "target-plan-close": W("target_plan", post=leaders_in_scope),
    "target-plan-decompose": W("target_plan", post=leaders_in_scope),
    "target-plan-grid-xlsx": R("target_plan", get=in_scope),
    "target-plan-import-grid": W("target_plan", post=leaders_in_scope),
    "target-plan-owners": R("target_plan", get=in_scope, patch=leaders_in_scope),
    # Approved by an executive/admin or a manager strictly above the plan (North's manager is
    # at its root), never by its author (the executive).
    "target-plan-revision-approve": W(kwargs=revision, post=only("admin"), scopes=ONE),
    # ... but the author may reject (withdraw) their own proposal.
    "target-plan-revision-reject": W(kwargs=revision, post=sees_all, scopes=ONE),
    "target-plan-revisions": R("target_plan", get=in_scope, post=leaders_in_scope),
    "target-plan-send-back": W("target_plan", post=leaders_in_scope),
    "target-plan-submit": W("target_plan", post=leaders_in_scope),
    "split-profile-list": R(get=signed_in, post=sees_all),
    "split-profile-detail": R(
        "split_profile", get=signed_in, put=sees_all, patch=sees_all, delete=sees_all
    ),
    # API: crm_sync (admins only)
    "crm-connection-list": R(get=admin_only, post=admin_only),
    "crm-connection-detail": R(
        "connection", get=admin_only, put=admin_only, patch=admin_only, delete=admin_only
    ),
    "crm-connection-sync": W("connection", post=admin_only),
    "crm-connection-test": W("connection", post=admin_only),
    "crm-mapping-list": R(get=admin_only),
    "crm-mapping-detail": R("mapping", get=admin_only, put=admin_only, patch=admin_only),
    "crm-user-list": R(get=admin_only),
    "crm-user-detail": R("crm_user", get=admin_only, put=admin_only, patch=admin_only),
    "crm-run-list": R(get=admin_only),
    "crm-run-detail": R("run", get=admin_only),
    # API: plans
    "feedback-list": R(get=signed_in, post=signed_in),
    "feedback-detail": R("feedback", get=in_scope),
    "feedback-respond": W("feedback", post=in_scope),
    "feedback-set-status": W("feedback", post=in_scope),
    "strategy-list": R(get=signed_in, post=only("admin", "manager")),
    "strategy-detail": R(
        "strategy", get=STRATEGY_READ, put=managers_in_scope, patch=managers_in_scope
    ),
    "strategy-set-status": W("strategy", post=managers_in_scope),
    "action-plan-list": R(get=signed_in, post=only("admin", "manager")),
    "action-plan-detail": R(
        "action_plan", get=in_scope, put=managers_in_scope, patch=managers_in_scope
    ),
    "action-plan-set-status": W("action_plan", post=managers_in_scope),
    "task-list": R(get=signed_in, post=only("admin", "manager")),
    "task-detail": R("task", get=in_scope, put=managers_in_scope, patch=TASK_MOVE),
    "task-set-status": W("task", post=TASK_MOVE),
    "report-list": R(get=signed_in, post=signed_in),
    "report-review-agenda": R(query=agenda, get=leaders),
    "report-detail": R("report", get=in_scope, patch=table(rep={"own"})),
    "report-comment": W("report", post=in_scope),
    "report-return-": W("report", post=leaders_in_scope),
    "report-sign-off": W("report", post=leaders_in_scope),
    "report-submit": W("report", post=table(rep={"own"})),
    "market-change-list": R(get=signed_in, post=leaders),
    "market-change-detail": R("market_change", get=MARKET_READ, put=leaders_in_scope),
    "market-change-propose-revision": W("market_change", post=leaders_in_scope),
    # API: incentives
    "incentive-plan-list": R(get=signed_in, post=admin_only),
    "incentive-plan-validate": W(post=admin_only),
    "incentive-plan-detail": R("incentive_plan", get=signed_in, patch=admin_only),
    "statement-list": R(get=signed_in),
    "statement-compute": W(post=admin_only),
    "statement-what-if": W(post=signed_in),
    "statement-detail": R("statement", get=in_scope),
    "statement-approve": W("statement", post=leaders_in_scope),
    "statement-pay": W("statement", post=admin_only),
    "statement-recompute": W("statement", post=RECOMPUTE),
    "badge-list": R(get=signed_in, post=leaders),
    "leaderboard-list": R(get=signed_in),
    # API: training
    "course-list": R(get=signed_in, post=admin_only),
    "course-effectiveness": R(get=leaders),
    "course-detail": R("course", get=signed_in, patch=admin_only),
    "course-modules": W("course", post=admin_only),
    "assignment-list": R(get=signed_in, post=signed_in),
    "assignment-detail": R("assignment", get=in_scope),
    "assignment-cancel": W("assignment", post=leaders_in_scope),
    "assignment-complete-module": W("assignment", post=table(rep={"own"})),
    "assignment-quiz-attempt": W("assignment", post=table(rep={"own"})),
    "certification-list": R(get=signed_in, post=admin_only),
    "recommendation-list": R(get=signed_in),
    "recommendation-compute": W(post=leaders),
    "recommendation-detail": R("recommendation", get=in_scope),
    "recommendation-assign": W("recommendation", post=in_scope),
    "recommendation-dismiss": W("recommendation", post=in_scope),
    "recommendation-rule-list": R(get=leaders, post=admin_only),  # read: leaders
    "recommendation-rule-detail": R("rule", get=leaders, put=admin_only, delete=admin_only),
}

# The Django admin site (every model's changelist/add/change/delete/history, its login,
# password and catch-all views): staff only, everyone else is sent to the admin login. Keys are
# matched by pattern prefix so that registering a model needs no new row; they are still
# enumerated and visited one by one.
ADMIN_PREFIX = "admin/"
ADMIN_PUBLIC = {  # the admin's own login/logout pages and its translation catalogue
    "admin:login": R(get=anyone, **GP),
    "admin:logout": W(post=anyone),
    "admin:javascript-catalog": R(get=anyone),  # treebeard's jsi18n: public strings only
}
ADMIN_RULE = Rule(methods={"get": admin_only, "post": admin_only}, special=ADMIN_SITE)


def rule_for(route: Route) -> Rule | None:
    if route.key in ADMIN_PUBLIC:
        return ADMIN_PUBLIC[route.key]
    if route.pattern.startswith(ADMIN_PREFIX):
        return ADMIN_RULE
    return TABLE.get(route.key)


DISCOVER = os.environ.get("AUTHZ_DISCOVER", "")
ROUTES = all_routes()
# One parametrized case per (distinct pattern, role); the key is kept readable in the id.
CASES = [(r, role) for r in ROUTES for role in ROLES]


def _id(case: tuple[Route, str]) -> str:
    route, role = case
    suffix = ".fmt" if route.format_suffix else ""
    key = route.key if not route.key.startswith("pattern:") else route.pattern
    return f"{key}{suffix}@{role}"


# --- the shared world ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once; rolled back when the module ends. Signed-in clients are made here too."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        clients = {role: APIClient(raise_request_exception=False) for role in ROLES}
        for role, user in built.users.items():
            clients[role].force_login(user)
        built.extra["clients"] = clients
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def client_for(world: World, django_db_blocker):
    """The role's client; every request runs in its own rolled-back savepoint (see
    `sweep.visit`), so a test needs no transaction of its own."""
    with django_db_blocker.unblock():
        yield world.extra["clients"].__getitem__


# --- tests ---------------------------------------------------------------------------------------
def test_every_route_is_classified() -> None:
    """A new URL pattern fails here until it has a row in TABLE (or is an admin-site view)."""
    enumerated = {r.key for r in ROUTES if not r.pattern.startswith(ADMIN_PREFIX)}
    assert enumerated - set(TABLE) == set(), "routes without an access rule in TABLE"
    assert set(TABLE) - enumerated == set(), "TABLE rows for routes that no longer exist"
    admin = [r for r in ROUTES if r.pattern.startswith(ADMIN_PREFIX)]
    assert admin, "the admin site is enumerated"
    assert all(rule_for(r) is not None for r in ROUTES)


def test_api_methods_are_classified() -> None:
    """Every method a DRF route answers has a predicate (a new @action method fails here)."""
    missing = [
        f"{r.key} {m.upper()}"
        for r in ROUTES
        if r.is_api and r.key in TABLE
        for m in r.api_methods
        if m not in TABLE[r.key].methods
    ]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_route_access(case: tuple[Route, str], world: World, client_for) -> None:
    route, role = case
    rule = rule_for(route)
    if rule is None and DISCOVER:
        rule = R(get=signed_in)
    assert rule is not None, f"{route.key} is not classified"
    outcome = visit(client_for(role), route, rule, world, role, _admin_url)
    if DISCOVER:  # AUTHZ_DISCOVER=<file>: record what happens instead of asserting
        with open(DISCOVER, "a") as out:
            for v in outcome.visits:
                out.write(json.dumps({"key": route.key, "role": role, **vars(v)}) + "\n")
        return
    assert outcome.wrong == [], f"{route.key} as {role}:\n{outcome.report()}"


def _admin_url(route: Route) -> str:
    """A concrete URL for an admin-site pattern (object id 1, first app label)."""
    path = route.pattern
    path = re.sub(r"\(\?P<app_label>([^|)]+)[^)]*\)", r"\1", path)
    path = path.replace("(?P<url>.*)", "no-such-page/").replace("([^/]+)", "1")
    path = re.sub(r"<(?:\w+:)?\w+>", "1", path)
    return "/" + path.replace("^", "").replace("$", "")

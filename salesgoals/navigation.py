"""The product's areas, shown in the navigation and on the home page.

`built` areas link to their pages; the others show an honest empty state until their
capability lands.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Role


@dataclass(frozen=True)
class Area:
    slug: str
    title: Promise
    summary: Promise
    url_name: str
    roles: tuple[str, ...]
    built: bool = False


ALL_ROLES = (Role.REP, Role.MANAGER, Role.EXECUTIVE, Role.ADMIN)
LEADERS = (Role.MANAGER, Role.EXECUTIVE, Role.ADMIN)

AREAS: tuple[Area, ...] = (
    Area(
        "targets",
        _("Targets"),
        _("SMART target plans, split by quarter, month and week and down the organisation."),
        "targets:home",
        ALL_ROLES,
        built=True,
    ),
    Area(
        "kpis",
        _("KPIs and dashboards"),
        _("Revenue, payments collected, conversion and retention against target, with pace."),
        "dashboards:home",
        ALL_ROLES,
        built=True,
    ),
    Area(
        "plans",
        _("Plans and reviews"),
        _("Sales strategies, action plans, periodic reports, feedback and market changes."),
        "plans:home",
        ALL_ROLES,
        built=True,
    ),
    Area(
        "incentives",
        _("Incentives"),
        _("Bonus, commission and SPIFF plans, statements, badges and leaderboards."),
        "incentives:home",
        ALL_ROLES,
        built=True,
    ),
    Area(
        "training",
        _("Training"),
        _("Courses, assignments, certifications and recommendations from KPI gaps."),
        "training:catalogue",
        ALL_ROLES,
        built=True,
    ),
    Area(
        "crm",
        _("CRM sync"),
        _("Connect Zoho CRM or Fxiaoke and keep customers, deals and payments in sync."),
        "crm_sync:home",
        (Role.ADMIN,),
        built=True,
    ),
    Area(
        "org",
        _("Organisation"),
        _("The org tree: regions, teams, managers and their reps."),
        "org-tree",
        ALL_ROLES,
        built=True,
    ),
    Area(
        "users",
        _("People"),
        _("Everyone in your scope, their role, team and hire date."),
        "user-list",
        LEADERS,
        built=True,
    ),
    Area(
        "audit",
        _("Audit"),
        _("Who changed targets, payouts, CRM settings and the organisation, when and why."),
        "audit:list",
        (Role.ADMIN,),
        built=True,
    ),
    Area(
        "calendar",
        _("Fiscal calendar"),
        _("Fiscal years, quarters, months and weeks with their working days."),
        "calendar",
        ALL_ROLES,
        built=True,
    ),
)


def areas_for(role: str, *, superuser: bool = False) -> list[Area]:
    return [a for a in AREAS if superuser or role in a.roles]


def area_by_slug(slug: str) -> Area | None:
    return next((a for a in AREAS if a.slug == slug), None)

"""The audited models: which history tables the audit list merges, and how each names a row.

Every entry is a model with django-simple-history's `HistoricalRecords`. `related` is what
the page's one query per model joins so that `label` (the object as a reader knows it) needs
no further query; `period_keys` are JSON fields keyed by (or listing) period ids, shown with
the periods' labels; `history_only` are columns only the history table has (a connection's
secrets fingerprint), compared like the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

AREAS: tuple[tuple[str, Promise], ...] = (
    ("targets", _("Targets")),
    ("incentives", _("Incentives")),
    ("crm", _("CRM sync")),
    ("org", _("Organisation")),
)


@dataclass(frozen=True)
class Audited:
    key: str  # "app_label.modelname"
    area: str
    related: tuple[str, ...] = ()
    label: Callable[[Any], str] = str
    period_keys: tuple[str, ...] = ()
    history_only: tuple[str, ...] = ()  # fields of the history table alone (shown in diffs)

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.key)

    @property
    def history(self) -> type[Model]:
        return self.model.history.model  # type: ignore[attr-defined]

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name)


def _name(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _person(user: Any) -> str:
    return user.display if user is not None else ""


AUDITED: tuple[Audited, ...] = (
    Audited(
        "targets.targetplan",
        "targets",
        ("metric", "org_unit", "fiscal_year"),
        lambda h: _name(h.metric, h.org_unit, h.fiscal_year) or f"#{h.id}",
    ),
    Audited(
        "targets.targetline",
        "targets",
        (),
        lambda h: _name(h.name, _("plan #%(id)s") % {"id": h.plan_id}),
        ("values", "locked"),
    ),
    Audited(
        "targets.targetrevision",
        "targets",
        (),
        lambda h: _name(_("plan #%(id)s") % {"id": h.plan_id}, f"r{h.number}"),
    ),
    Audited("targets.splitprofile", "targets", (), lambda h: h.name),
    Audited("targets.planningsettings", "targets", (), lambda h: str(_("Planning settings"))),
    Audited("incentives.incentiveplan", "incentives", (), lambda h: f"{h.name} v{h.version}"),
    Audited(
        "incentives.statement",
        "incentives",
        ("person", "period"),
        lambda h: _name(_person(h.person), h.period.label if h.period else f"#{h.period_id}"),
    ),
    Audited(
        "incentives.statementline",
        "incentives",
        (),
        lambda h: _name(h.label, _("statement #%(id)s") % {"id": h.statement_id}),
    ),
    Audited("incentives.contest", "incentives", (), lambda h: h.name),
    Audited(
        "incentives.badgeaward",
        "incentives",
        ("person",),
        lambda h: _name(h.badge, _person(h.person)),
    ),
    Audited("crm_sync.connection", "crm", (), lambda h: h.name, (), ("secrets_fingerprint",)),
    Audited(
        "crm_sync.objectmapping",
        "crm",
        ("connection",),
        lambda h: _name(h.connection, f"{h.crm_object} → {h.fact_kind}"),
    ),
    Audited(
        "crm_sync.crmuser",
        "crm",
        ("connection",),
        lambda h: _name(h.connection, h.name or h.external_id),
    ),
    Audited("salesgoals.user", "org", (), lambda h: h.display_name or h.username),
    Audited("salesgoals.orgunit", "org", (), lambda h: h.name),
)

BY_KEY = {entry.key: entry for entry in AUDITED}


def model_choices() -> list[tuple[str, str]]:
    return [(entry.key, entry.title) for entry in AUDITED]


def selected(model: str | None, area: str | None) -> list[Audited]:
    return [
        entry
        for entry in AUDITED
        if (not model or entry.key == model) and (not area or entry.area == area)
    ]

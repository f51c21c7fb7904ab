"""The drill-down: the facts and credit shares behind one KPI cell, for the page and the API.

The rows come from `kpis.selectors.facts_for` (scoped: 403 for an owner outside the user's
scope, rows the user may not see left out); one page of them becomes JSON-ready dicts with
decimal strings and their display text, beside the cell itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.utils.translation import gettext as _

from kpis.models import DealShare, OwnerType
from kpis.selectors import FactDrilldown, facts_for, kpi_values_visible
from salesgoals.models import Metric, Period, User

from . import numbers as num
from .boards import DrillLinks, cell_view, period_info, unit_info
from .selection import DashboardError, int_param

__all__ = ["Drill", "drill_cell"]


@dataclass
class Drill:
    found: FactDrilldown
    period: Period
    cell: dict[str, Any]
    page: Page
    rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        owner = self.found.owner
        name = owner.display if isinstance(owner, User) else owner.name
        previous = self.found.previous
        rows = [{**r, "date": r["date"].isoformat() if r["date"] else None} for r in self.rows]
        return {
            "metric": {"code": self.found.metric.code, "name": self.found.metric.localized_name},
            "owner_type": self.found.owner_type,
            "owner": {"id": owner.pk, "name": name},
            "period": period_info(self.period),
            "previous": [previous[0].isoformat(), previous[1].isoformat()] if previous else None,
            "via_shares": self.found.via_shares,
            "cell": self.cell,
            "count": self.page.paginator.count,
            "page": self.page.number,
            "pages": self.page.paginator.num_pages,
            "rows": rows,
        }


def _money(minor: int) -> tuple[str | None, str]:
    return num.api_decimal(Decimal(minor) / 100), num.show_money(minor, decimals=True)


def _share_rows(rows: list[DealShare]) -> list[dict[str, Any]]:
    out = []
    for share in rows:
        deal = share.deal
        amount, amount_text = _money(deal.amount_minor)
        # Exact credit is amount · share_bp / 10000; rounded half up to a minor unit to show.
        credited, credited_text = _money((2 * deal.amount_minor * share.share_bp + 10000) // 20000)
        percent = num.percent_of_bp(share.share_bp)
        out.append(
            {
                "id": deal.pk,
                "kind": "deal",
                "name": deal.name,
                "customer": deal.customer.name if deal.customer_id else "",
                "status": deal.status,
                "status_label": deal.get_status_display(),
                "date": deal.close_date,
                "amount": amount,
                "share": num.api_decimal(percent),
                "credited": credited,
                "person": {"id": share.user_id, "name": share.user.display},
                "org_unit": unit_info(share.org_unit),
                "display": {
                    "amount": amount_text,
                    "share": num.show_percent(percent),
                    "credited": credited_text,
                },
            }
        )
    return out


_DATE_FIELDS = ("first_won_date", "activity_date", "order_date", "payment_date", "created_date")


def _fact_rows(rows: list[Any], metric: Metric) -> list[dict[str, Any]]:
    out = []
    for fact in rows:
        date = next((getattr(fact, f) for f in _DATE_FIELDS if getattr(fact, f, None)), None)
        minor = getattr(fact, "amount_minor", None)
        amount, amount_text = _money(minor) if minor is not None else (None, "")
        row: dict[str, Any] = {
            "id": fact.pk,
            "kind": fact._meta.model_name,
            "name": str(fact),
            "customer": fact.customer.name if getattr(fact, "customer_id", None) else "",
            "status": "",
            "status_label": "",
            "date": date,
            "amount": amount,
            "person": {"id": fact.owner_id, "name": fact.owner.display},
            "org_unit": unit_info(fact.org_unit),
            "display": {"amount": amount_text},
        }
        if hasattr(fact, "retained"):
            row["retained"] = bool(fact.retained)
        if metric.fact == Metric.Fact.ACTIVITY:
            row["status"], row["status_label"] = fact.kind, fact.get_kind_display()
        out.append(row)
    return out


def drill_cell(
    *,
    user: User,
    metric: str,
    owner_type: str,
    owner: object,
    period: object,
    page: object = None,
    per_page: int = 50,
    links: DrillLinks,
) -> Drill:
    """One page of the facts behind a cell. A missing or malformed choice is a
    `DashboardError`; an unknown period, metric or owner `Http404`; outside scope 403."""
    if owner_type not in OwnerType.values:
        raise DashboardError({"owner_type": [_("Choose rep or unit.")]})
    owner_id = int_param("owner", owner)
    period_id = int_param("period", period)
    if owner_id is None or period_id is None or not metric:
        raise DashboardError({"metric": [_("Choose a KPI cell to see the facts behind it.")]})
    found_period = Period.objects.select_related("fiscal_year").filter(pk=period_id).first()
    if found_period is None:
        raise Http404(_("Unknown period."))
    found = facts_for(metric, owner_type, owner_id, found_period.start, found_period.end, user)
    one_page = Paginator(found.rows, per_page).get_page(page)
    items = list(one_page.object_list)
    rows = _share_rows(items) if found.via_shares else _fact_rows(items, found.metric)
    value = (
        kpi_values_visible(user)
        .filter(metric=found.metric, owner_type=owner_type, owner_id=owner_id, period=found_period)
        .first()
    )
    cell = cell_view(
        found.metric,
        value,
        owner_type=owner_type,
        owner_id=owner_id,
        period=found_period,
        drill=links,
    )
    return Drill(found=found, period=found_period, cell=cell, page=one_page, rows=rows)

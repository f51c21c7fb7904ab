"""Market change pages: log (also from a feedback item), list, detail with "Propose revision"
that lands on the targets revision page; scope per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from plans import services as feedback_services
from plans.models import MarketChange, MarketChangeRevision
from tests.plans.test_market_revision import EFFECTIVE, approved_plan, log_change
from tests.targets.plan_fixtures import org_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def form_data(org, **changes):
    data = {
        "date": "2026-04-20",
        "org_unit": org.south.pk,
        "category": "demand",
        "title": "Demand slows in the South",
        "description": "Two large customers postponed orders.",
        "effective_from": EFFECTIVE.isoformat(),
        "metric_0": "",
        "impact_0": "",
    }
    data.update(changes)
    return data


def test_manager_logs_a_change_from_feedback(org, client):
    item = feedback_services.feedback_create(
        actor=org.rep_c, category="market_change", title="Subsidy ends", text="From next month."
    )
    client.force_login(org.manager_south)
    detail = client.get(reverse("plans:feedback-detail", args=[item.pk])).content.decode()
    assert 'data-testid="log-as-market-change"' in detail
    url = reverse("plans:market-create") + f"?feedback={item.pk}"
    page = client.get(url).content.decode()
    assert "Subsidy ends" in page  # pre-filled from the feedback
    from salesgoals.models import Metric

    revenue = Metric.objects.get(code="revenue")
    missing = client.post(url, form_data(org, metric_0=revenue.pk))
    assert missing.status_code == 400  # a metric without its impact
    response = client.post(url, form_data(org, metric_0=revenue.pk, impact_0="-10"))
    change = MarketChange.objects.get()
    assert response.url == reverse("plans:market-detail", args=[change.pk])
    assert change.feedback == item
    assert change.impacts.get().impact_bp == -1000


def test_reps_do_not_log_changes_and_see_only_their_branch(org, client):
    change = log_change(org, unit=org.south)
    client.force_login(org.rep)
    assert client.get(reverse("plans:market-create")).status_code == 403
    assert client.get(reverse("plans:market-detail", args=[change.pk])).status_code == 403
    assert "Subsidy ends" not in client.get(reverse("plans:market-list")).content.decode()
    client.force_login(org.rep_c)
    assert client.get(reverse("plans:market-detail", args=[change.pk])).status_code == 200
    assert client.get(reverse("plans:market-detail", args=[99999])).status_code == 404


def test_propose_revision_lands_on_the_revision_page(org, client):
    plan = approved_plan(org)
    change = log_change(org, unit=org.south)
    client.force_login(org.executive)
    detail = client.get(reverse("plans:market-detail", args=[change.pk])).content.decode()
    assert 'data-testid="propose-revision"' in detail
    response = client.post(reverse("plans:market-propose", args=[change.pk]), {"plan": plan.pk})
    link = MarketChangeRevision.objects.get()
    assert response.url == reverse("targets:revision", args=[plan.pk, link.revision.number])
    listed = client.get(reverse("plans:market-list")).content.decode()
    assert f"r{link.revision.number}" in listed


def test_manager_edits_own_subtree_only(org, client):
    change = log_change(org, unit=org.south)
    client.force_login(org.manager)
    assert client.get(reverse("plans:market-edit", args=[change.pk])).status_code == 403
    client.force_login(org.manager_south)
    assert client.get(reverse("plans:market-edit", args=[change.pk])).status_code == 200

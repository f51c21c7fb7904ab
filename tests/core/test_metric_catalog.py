import pytest
from django.urls import reverse

from salesgoals.models import Metric, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CATALOG = {
    "revenue": ("currency", "sum"),
    "orders": ("currency", "sum"),
    "payments": ("currency", "sum"),
    "deals_won": ("count", "sum"),
    "new_customers": ("count", "sum"),
    "activities": ("count", "sum"),
    "conversion_rate": ("percent", "ratio"),
    "lead_conversion_rate": ("percent", "ratio"),
    "retention_rate": ("percent", "recomputed"),
    "avg_deal_size": ("currency", "ratio"),
    "pipeline_created": ("currency", "sum"),
}


def test_the_ten_metrics_and_the_lead_variant_are_seeded_by_migration() -> None:
    rows = {m.code: (m.unit, m.aggregation) for m in Metric.objects.filter(is_system=True)}
    assert rows == CATALOG
    assert Metric.objects.get(code="payments").name_zh == "回款"


def test_only_sum_metrics_are_additive() -> None:
    additive = set(Metric.objects.filter(is_system=True).values_list("code", flat=True))
    additive = {code for code in additive if Metric.objects.get(code=code).is_additive}
    assert additive == {code for code, (_, agg) in CATALOG.items() if agg == "sum"}


def test_metrics_api_lists_catalog_for_any_user(api_client) -> None:
    api_client.force_authenticate(UserFactory(role=Role.REP))
    body = api_client.get("/api/v1/metrics/?page_size=50").json()
    assert body["count"] == len(CATALOG) == 11
    first = body["results"][0]
    assert {"code", "name", "unit", "aggregation", "direction"} <= set(first)


def test_metric_name_follows_language(api_client) -> None:
    api_client.force_authenticate(UserFactory())
    body = api_client.get("/api/v1/metrics/payments/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["name"] == "回款"
    body = api_client.get("/api/v1/metrics/payments/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["name"] == "Payments collected"


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_only_admins_add_metrics(api_client, role) -> None:
    api_client.force_authenticate(UserFactory(role=role))
    payload = {
        "code": "revenue_pro",
        "name_en": "Revenue (Pro line)",
        "unit": "currency",
        "aggregation": "sum",
        "fact": "deal",
        "date_field": "close_date",
        "filters": {"product_line": "pro"},
    }
    assert api_client.post("/api/v1/metrics/", payload, format="json").status_code == 403
    api_client.force_authenticate(UserFactory(role=Role.ADMIN))
    response = api_client.post("/api/v1/metrics/", payload, format="json")
    assert response.status_code == 201, response.content
    assert Metric.objects.get(code="revenue_pro").filters == {"product_line": "pro"}


def test_builtin_metric_cannot_be_deleted(api_client) -> None:
    api_client.force_authenticate(UserFactory(role=Role.ADMIN))
    response = api_client.delete("/api/v1/metrics/revenue/")
    assert response.status_code == 400
    assert Metric.objects.filter(code="revenue").exists()


def test_metrics_export_csv(api_client) -> None:
    api_client.force_authenticate(UserFactory())
    response = api_client.get("/api/v1/metrics/?format=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,code,name")
    assert len(text.strip().splitlines()) == len(CATALOG) + 1  # the header


def test_metric_admin_page_for_staff(client) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    assert client.get(reverse("admin:salesgoals_metric_changelist")).status_code == 200

"""The ten built-in metrics of DOMAIN.md (definitions; computing them lives in `kpis`)."""

from __future__ import annotations

from typing import Any

CATALOG: list[dict[str, Any]] = [
    {
        "code": "revenue",
        "name": "Revenue",
        "name_zh": "销售额",
        "description": "Amount of deals won, by close date.",
        "unit": "currency",
        "aggregation": "sum",
        "fact": "deal",
        "date_field": "close_date",
    },
    {
        "code": "orders",
        "name": "Sales orders",
        "name_zh": "销售订单额",
        "description": "Sales-order amount, by order date.",
        "unit": "currency",
        "aggregation": "sum",
        "fact": "order",
        "date_field": "order_date",
    },
    {
        "code": "payments",
        "name": "Payments collected",
        "name_zh": "回款",
        "description": "Payments collected, by payment date.",
        "unit": "currency",
        "aggregation": "sum",
        "fact": "payment",
        "date_field": "payment_date",
    },
    {
        "code": "deals_won",
        "name": "Deals won",
        "name_zh": "赢单数",
        "description": "Number of deals won, by close date.",
        "unit": "count",
        "aggregation": "sum",
        "fact": "deal",
        "date_field": "close_date",
    },
    {
        "code": "new_customers",
        "name": "New customers",
        "name_zh": "新增客户",
        "description": "Customers whose first won deal or order falls in the period.",
        "unit": "count",
        "aggregation": "sum",
        "fact": "customer",
        "date_field": "first_won_date",
    },
    {
        "code": "activities",
        "name": "Activities",
        "name_zh": "跟进记录",
        "description": "Calls, visits and meetings logged.",
        "unit": "count",
        "aggregation": "sum",
        "fact": "activity",
        "date_field": "activity_date",
    },
    {
        "code": "conversion_rate",
        "name": "Customer conversion rate",
        "name_zh": "客户转化率",
        "description": "Won ÷ (won + lost) deals closed in the period.",
        "unit": "percent",
        "aggregation": "ratio",
        "fact": "deal",
        "date_field": "close_date",
    },
    {
        # The lead variant of conversion (DOMAIN.md: converted ÷ created).
        "code": "lead_conversion_rate",
        "name": "Lead conversion rate",
        "name_zh": "线索转化率",
        "description": "Leads created in the period that were converted ÷ leads created.",
        "unit": "percent",
        "aggregation": "ratio",
        "fact": "lead",
        "date_field": "created_date",
    },
    {
        "code": "retention_rate",
        "name": "Customer retention rate",
        "name_zh": "客户保留率",
        "description": (
            "Customers buying in both the previous and this period ÷ customers buying in the "
            "previous period; recomputed per scope and period."
        ),
        "unit": "percent",
        "aggregation": "recomputed",
        "fact": "order",
        "date_field": "order_date",
    },
    {
        "code": "avg_deal_size",
        "name": "Average deal size",
        "name_zh": "平均客单价",
        "description": "Revenue ÷ deals won.",
        "unit": "currency",
        "aggregation": "ratio",
        "fact": "deal",
        "date_field": "close_date",
    },
    {
        "code": "pipeline_created",
        "name": "Pipeline created",
        "name_zh": "新增商机金额",
        "description": "Amount of opportunities created, by creation date.",
        "unit": "currency",
        "aggregation": "sum",
        "fact": "deal",
        "date_field": "created_date",
    },
]


def seed_metrics(metric_model) -> int:
    """Create or refresh the built-in metrics; returns how many were created."""
    created = 0
    for order, row in enumerate(CATALOG, start=1):
        _, was_created = metric_model.objects.update_or_create(
            code=row["code"],
            defaults={**row, "is_system": True, "sort_order": order, "direction": "higher"},
        )
        created += was_created
    return created

"""Indexes for the rollup drain's new customers: a customer's live won deals and live
orders by date, so "first in this week" is a few index probes per customer."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0004_rollup_no_fk_checks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("status", "won")),
                fields=["customer", "close_date"],
                name="deal_customer_won",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["customer", "order_date"],
                name="order_customer_live",
            ),
        ),
    ]

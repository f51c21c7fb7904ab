"""Retention state of the rollup: which customer bought from which (rep, unit, week),
filled from the live orders."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
INSERT INTO kpis_kpibuyer (user_id, org_unit_id, week_id, customer_id, orders)
SELECT o.owner_id, o.org_unit_id, w.id, o.customer_id, COUNT(*)
FROM kpis_order o
JOIN salesgoals_period w ON w.kind = 'week' AND o.order_date >= w.start
    AND o.order_date <= w."end"
WHERE o.deleted_at IS NULL AND o.customer_id IS NOT NULL
GROUP BY o.owner_id, o.org_unit_id, w.id, o.customer_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0005_customer_first_won_indexes"),
        ("salesgoals", "0003_org_membership"),
    ]

    operations = [
        migrations.CreateModel(
            name="KpiBuyer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("user_id", models.BigIntegerField()),
                ("org_unit_id", models.BigIntegerField()),
                ("customer_id", models.BigIntegerField()),
                ("orders", models.IntegerField(default=0)),
                (
                    "week",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="salesgoals.period",
                    ),
                ),
            ],
            options={
                "verbose_name": "KPI rollup buyer",
                "verbose_name_plural": "KPI rollup buyers",
                "indexes": [models.Index(fields=["customer_id", "week"], name="kpibuyer_customer")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user_id", "org_unit_id", "week", "customer_id"), name="kpibuyer_key"
                    )
                ],
            },
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]

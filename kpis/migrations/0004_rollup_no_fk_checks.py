"""Rollup tables without database-level foreign keys: their deferred checks ran once per
written row at commit (a third of a full rollup); Django's cascades stay."""

import django.db.models.deletion
from django.db import migrations, models


def _fk(to: str):
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0003_rollup_speed"),
        ("salesgoals", "0003_org_membership"),
    ]

    operations = [
        migrations.AlterField(model_name="kpigrain", name="metric", field=_fk("salesgoals.metric")),
        migrations.AlterField(model_name="kpigrain", name="week", field=_fk("salesgoals.period")),
        migrations.AlterField(model_name="kpivalue", name="metric", field=_fk("salesgoals.metric")),
        migrations.AlterField(model_name="kpivalue", name="period", field=_fk("salesgoals.period")),
    ]

"""Rollup speed: deal dates on credit shares (indexed per rep), fewer indexes on the rollup
tables, and room for in-place (HOT) updates of KPI cells on PostgreSQL."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = (
    "UPDATE kpis_dealshare SET "
    "close_date = (SELECT d.close_date FROM kpis_deal d WHERE d.id = kpis_dealshare.deal_id), "
    "created_date = (SELECT d.created_date FROM kpis_deal d WHERE d.id = kpis_dealshare.deal_id)"
)


def fillfactor(apps, schema_editor) -> None:
    """Leave a quarter of each page free, so that rewriting a cell stays on its page and
    touches no index (a HOT update); SQLite has no such setting."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpis_kpivalue SET (fillfactor = 75)")
        schema_editor.execute("ALTER TABLE kpis_kpigrain SET (fillfactor = 75)")


def fillfactor_back(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpis_kpivalue RESET (fillfactor)")
        schema_editor.execute("ALTER TABLE kpis_kpigrain RESET (fillfactor)")


def _fk(to: str, **extra):
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to=to,
        **extra,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0002_rollup_grain"),
        ("salesgoals", "0003_org_membership"),
    ]

    operations = [
        migrations.AddField(
            model_name="dealshare",
            name="close_date",
            field=models.DateField(editable=False, null=True, verbose_name="close date (the deal's)"),
        ),
        migrations.AddField(
            model_name="dealshare",
            name="created_date",
            field=models.DateField(editable=False, null=True, verbose_name="created on (the deal's)"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="dealshare",
            name="close_date",
            field=models.DateField(editable=False, verbose_name="close date (the deal's)"),
        ),
        migrations.AlterField(
            model_name="dealshare",
            name="created_date",
            field=models.DateField(editable=False, verbose_name="created on (the deal's)"),
        ),
        migrations.AddIndex(
            model_name="dealshare",
            index=models.Index(fields=["user", "close_date"], name="dealshare_user_close"),
        ),
        migrations.AddIndex(
            model_name="dealshare",
            index=models.Index(fields=["user", "created_date"], name="dealshare_user_created"),
        ),
        migrations.AlterField(model_name="kpigrain", name="metric", field=_fk("salesgoals.metric")),
        migrations.AlterField(model_name="kpigrain", name="week", field=_fk("salesgoals.period")),
        migrations.AlterField(model_name="kpivalue", name="metric", field=_fk("salesgoals.metric")),
        migrations.AlterField(model_name="kpivalue", name="period", field=_fk("salesgoals.period")),
        migrations.RunPython(fillfactor, fillfactor_back, elidable=True),
    ]

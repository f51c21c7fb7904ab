from django.db import migrations


def seed(apps, schema_editor):
    from salesgoals.metric_catalog import seed_metrics

    seed_metrics(apps.get_model("salesgoals", "Metric"))


class Migration(migrations.Migration):
    dependencies = [("salesgoals", "0004_pending_task")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from salesgoals import hooks

        from .tasks import full_rollup_task, refresh_periods_task

        hooks.fiscal_year_generated.append(
            lambda fiscal_year: full_rollup_task.delay(fiscal_year=fiscal_year.year)
        )
        hooks.working_days_changed.append(
            lambda period_ids: refresh_periods_task.delay(period_ids=period_ids)
        )

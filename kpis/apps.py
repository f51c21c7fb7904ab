from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from salesgoals import dispatch, hooks

        from .tasks import full_rollup_task, refresh_periods_task

        hooks.fiscal_year_generated.append(
            lambda fiscal_year: dispatch.send(
                full_rollup_task, kwargs={"fiscal_year": fiscal_year.year}
            )
        )
        hooks.working_days_changed.append(
            lambda period_ids: dispatch.send(
                refresh_periods_task, kwargs={"period_ids": period_ids}
            )
        )

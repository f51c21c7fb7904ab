from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesGoalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "salesgoals"
    verbose_name = _("SalesGoals core")

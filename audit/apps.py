from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        # The actor context's receiver (who and why on every history row).
        from salesgoals import history  # noqa: F401

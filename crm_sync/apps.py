from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmSyncConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm_sync"
    verbose_name = _("CRM sync")

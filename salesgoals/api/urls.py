from django.urls import include, path
from rest_framework.routers import DefaultRouter

import audit.api
import crm_sync.api
import incentives.api
import kpis.api
import plans.api
import targets.api
import training.api
from kpis import api_dashboards, api_kpi

from . import auth, calendar, metrics, org
from .schema import DIGITS


class Router(DefaultRouter):
    """Integer ids in URLs are digits; anything else is an unknown URL (a JSON 404, see
    `salesgoals.api.errors`) instead of a lookup that cannot be an id."""

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        field = getattr(viewset, "lookup_field", "pk")
        if getattr(viewset, "lookup_value_regex", None) is None and field in ("pk", "id"):
            kwarg = getattr(viewset, "lookup_url_kwarg", None) or field
            return f"(?P<{lookup_prefix}{kwarg}>{DIGITS})"
        return super().get_lookup_regex(viewset, lookup_prefix)


# No `.json`/`.csv` suffix twins: exports are `?format=csv|xlsx`, and the twins passed a
# `format` argument that most extra actions do not take (500s found by the authz sweep).
router = Router()
router.include_format_suffixes = False
org.register(router)
calendar.register(router)
metrics.register(router)
kpis.api.register(router)
api_kpi.register(router)
api_dashboards.register(router)
targets.api.register(router)
crm_sync.api.register(router)
plans.api.register(router)
incentives.api.register(router)
training.api.register(router)
audit.api.register(router)

urlpatterns = [
    path("auth/token/", auth.ObtainTokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
]

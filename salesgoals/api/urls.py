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

router = DefaultRouter()
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

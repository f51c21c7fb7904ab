from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from salesgoals.views import calendar as calendar_views
from salesgoals.views import home, org

urlpatterns = [
    path("", home.home, name="home"),
    path("areas/<slug:slug>/", home.area, name="area"),
    path("notifications/", home.notification_list, name="notifications"),
    path("notifications/read/", home.notification_mark_read, name="notifications-read"),
    path("org/", include(org.urlpatterns)),
    path("calendar/", include(calendar_views.urlpatterns)),
    path("kpis/", include("kpis.urls")),
    path("dashboards/", include("kpis.urls_dashboards")),
    path("targets/", include("targets.urls")),
    path("crm/", include("crm_sync.urls")),
    path("plans/", include("plans.urls")),
    path("incentives/", include("incentives.urls")),
    path("training/", include("training.urls")),
    path("audit/", include("audit.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("salesgoals.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script: CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Unknown URLs under /api/ answer like the API does (JSON), everything else with the 404 page.
handler404 = "salesgoals.api.errors.not_found"

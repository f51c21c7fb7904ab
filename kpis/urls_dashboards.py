"""Dashboard pages, included under /dashboards/ (names "dashboards:…")."""

from django.urls import path

from kpis import views_dashboards as views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("executive/", views.executive, name="executive"),
    path("manager/", views.manager, name="manager"),
    path("rep/", views.rep, name="rep"),
    path("drill/", views.drill, name="drill"),
]

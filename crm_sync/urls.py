"""Pages of this app, included by salesgoals/urls.py (names "crm_sync:…")."""

from django.urls import path

from . import views

app_name = "crm_sync"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/test/", views.test, name="test"),
    path("<int:pk>/sync/", views.sync, name="sync"),
    path("<int:pk>/reset/", views.reset, name="reset"),
    path("<int:pk>/users/", views.users, name="users"),
    path("<int:pk>/mappings/", views.mappings, name="mappings"),
    path("<int:pk>/mappings/<int:mapping_pk>/", views.mapping_edit, name="mapping"),
    path("<int:pk>/reconciliation/", views.reconciliation, name="reconcile"),
    path("runs/<int:run_pk>/", views.run_detail, name="run"),
    path("runs/<int:run_pk>/progress/", views.progress, name="progress"),
]

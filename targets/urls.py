"""Target pages, included under /targets/ (names "targets:…")."""

from django.urls import path

from targets import views

app_name = "targets"

urlpatterns = [
    path("", views.plan_list, name="home"),
    path("mine/", views.my_targets, name="mine"),
    path("new/", views.plan_create, name="create"),
    path("new/check/", views.plan_validate, name="validate"),
    path("<int:pk>/", views.plan_detail, name="plan"),
    path("<int:pk>/grid/", views.plan_grid, name="grid"),
    path("<int:pk>/grid/rows/", views.grid_rows, name="grid-rows"),
    path("<int:pk>/resplit/", views.plan_resplit, name="resplit"),
    path("<int:pk>/export.xlsx", views.plan_export, name="export"),
    path("<int:pk>/import/", views.plan_import, name="import"),
    path("<int:pk>/history/", views.plan_history, name="history"),
    path("<int:pk>/owners/", views.plan_owners, name="owners"),
    path("<int:pk>/revisions/new/", views.revision_create, name="revision-create"),
    path("<int:pk>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path("<int:pk>/<slug:step>/", views.plan_step, name="step"),
]

"""Pages of the incentives app (/incentives/)."""

from __future__ import annotations

from django.urls import path

from incentives import views
from incentives.views import plans, recognition

app_name = "incentives"

urlpatterns = [
    path("", views.home, name="home"),
    path("what-if/", views.what_if, name="what-if"),
    path("statements/", views.statement_list, name="statements"),
    path("statements/compute/", views.statements_compute, name="statements-compute"),
    path("statements/approve/", views.statements_approve, name="statements-approve"),
    path("statements/payroll/", views.payroll, name="payroll"),
    path("statements/<int:pk>/", views.statement_detail, name="statement-detail"),
    path("statements/<int:pk>/approve/", views.statement_approve, name="statement-approve"),
    path("statements/<int:pk>/pay/", views.statement_pay, name="statement-pay"),
    path("statements/<int:pk>/recompute/", views.statement_recompute, name="statement-recompute"),
    path("plans/", plans.plan_list, name="plans"),
    path("plans/new/", plans.plan_create, name="plan-create"),
    path("plans/preview/", plans.plan_preview, name="plan-preview"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan-edit"),
    path("leaderboard/", recognition.leaderboard, name="leaderboard"),
    path("badges/", recognition.badges, name="badges"),
    path("contests/new/", recognition.contest_create, name="contest-create"),
    path("contests/<int:pk>/close/", recognition.contest_close, name="contest-close"),
]

"""Log-progress pages, included under /kpis/ (names "kpis:…")."""

from django.urls import path, re_path

from kpis import views

app_name = "kpis"

KIND = "(?P<slug>" + "|".join(views.KINDS) + ")"

urlpatterns = [
    path("", views.progress, name="index"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/log/", views.activity_log, name="activity-log"),
    path("deals/", views.deal_list, name="deals"),
    path("deals/<int:pk>/", views.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/won/", views.deal_won, name="deal-won"),
    path("deals/<int:pk>/lost/", views.deal_lost, name="deal-lost"),
    path("orders/", views.order_list, name="orders"),
    path("payments/", views.payment_list, name="payments"),
    path("customers/", views.customer_list, name="customers"),
    path("leads/", views.lead_list, name="leads"),
    re_path(rf"^{KIND}/new/$", views.fact_create, name="fact-create"),
    re_path(rf"^{KIND}/(?P<pk>[0-9]+)/edit/$", views.fact_edit, name="fact-edit"),
    re_path(rf"^{KIND}/(?P<pk>[0-9]+)/delete/$", views.fact_delete, name="fact-delete"),
]

from django.urls import path

from plans import views
from plans.views import actions as action_views
from plans.views import reports as report_views

app_name = "plans"

urlpatterns = [
    path("feedback/", views.feedback_list, name="feedback-list"),
    path("feedback/new/", views.feedback_create, name="feedback-create"),
    path("feedback/<int:pk>/", views.feedback_detail, name="feedback-detail"),
    path("feedback/<int:pk>/respond/", views.feedback_respond, name="feedback-respond"),
    path("feedback/<int:pk>/status/", views.feedback_status, name="feedback-status"),
    *action_views.urlpatterns,
    *report_views.urlpatterns,
]

"""Pages of the training app (`/training/`)."""

from __future__ import annotations

from django.urls import path

from training.views import catalogue, insights, progress

app_name = "training"

urlpatterns = [
    path("", catalogue.catalogue, name="catalogue"),
    path("courses/new/", catalogue.course_edit, name="course-create"),
    path("courses/<slug:code>/", catalogue.course_detail, name="course-detail"),
    path("courses/<slug:code>/edit/", catalogue.course_edit, name="course-edit"),
    path("courses/<slug:code>/enrol/", catalogue.course_enrol, name="course-enrol"),
    path("courses/<slug:code>/modules/new/", catalogue.module_edit, name="module-create"),
    path("modules/<int:pk>/", catalogue.module_edit, name="module-edit"),
    path("modules/<int:pk>/delete/", catalogue.module_delete, name="module-delete"),
    path("modules/<int:pk>/materials/", catalogue.material_add, name="material-add"),
    path("materials/<int:pk>/delete/", catalogue.material_delete, name="material-delete"),
    path("modules/<int:pk>/quiz/", catalogue.quiz_set, name="quiz-set"),
    path("modules/<int:pk>/quiz/delete/", catalogue.quiz_delete, name="quiz-delete"),
    path("modules/<int:pk>/questions/", catalogue.question_add, name="question-add"),
    path("questions/<int:pk>/delete/", catalogue.question_delete, name="question-delete"),
    path("my/", progress.my_training, name="my"),
    path("assignments/<int:pk>/", progress.assignment_detail, name="assignment-detail"),
    path("assignments/<int:pk>/cancel/", progress.assignment_cancel, name="assignment-cancel"),
    path(
        "assignments/<int:pk>/modules/<int:module>/complete/",
        progress.module_complete,
        name="module-complete",
    ),
    path("assignments/<int:pk>/modules/<int:module>/quiz/", progress.quiz_take, name="quiz-take"),
    path("team/", progress.team_progress, name="team"),
    path("assign/", progress.assign, name="assign"),
    path("skills/", insights.skills, name="skills"),
    path("recommendations/", insights.recommendations, name="recommendations"),
    path(
        "recommendations/compute/",
        insights.recommendations_compute,
        name="recommendations-compute",
    ),
    path(
        "recommendations/<int:pk>/assign/",
        insights.recommendation_assign,
        name="recommendation-assign",
    ),
    path(
        "recommendations/<int:pk>/dismiss/",
        insights.recommendation_dismiss,
        name="recommendation-dismiss",
    ),
    path("rules/", insights.rules, name="rules"),
    path("rules/new/", insights.rule_edit, name="rule-create"),
    path("rules/<int:pk>/", insights.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", insights.rule_delete, name="rule-delete"),
    path("effectiveness/", insights.effectiveness, name="effectiveness"),
]

"""Scope on pages and API: reps see only their own assignments, managers their subtree,
executives all; admins configure the catalogue and the rules; out of scope is 403,
unknown is 404; exports carry every row in scope."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from salesgoals.models import Metric
from tests.training.conftest import make_quiz_course, month, put_cell
from training import services
from training.models import Assignment, Course, Recommendation, RecommendationRule

PW = "pw-Secret-123"


@pytest.fixture
def world(org):
    qc = make_quiz_course(org.admin)
    mine = {
        user: services.assign(actor=org.admin, course=qc.course, users=[user])[0]
        for user in (org.rep, org.rep_b, org.rep_c)
    }
    return qc, mine


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("rep", {"rep"}),
        ("manager", {"rep", "rep_b"}),
        ("manager_south", {"rep_c"}),
        ("executive", {"rep", "rep_b", "rep_c"}),
    ],
)
def test_assignment_lists_follow_scope(org, world, api_client, client, role, sees):
    _qc, mine = world
    user = getattr(org, role)
    expected = {mine[getattr(org, name)].pk for name in sees}
    api_client.force_authenticate(user)
    assert _ids(api_client.get("/api/v1/assignments/")) == expected
    client.force_login(user)
    if role != "rep":
        page = client.get(reverse("training:team"))
        assert page.status_code == 200
        assert len(page.context["page"].object_list) == len(expected)
    csv = api_client.get("/api/v1/assignments/?format=csv")
    assert csv.status_code == 200
    assert csv.content.decode().count("\n") == len(expected) + 1


@pytest.mark.django_db
def test_details_outside_scope_are_403_and_unknown_404(org, world, api_client, client):
    _qc, mine = world
    other = mine[org.rep_b]
    api_client.force_authenticate(org.rep)
    assert api_client.get(f"/api/v1/assignments/{other.pk}/").status_code == 403
    assert api_client.get("/api/v1/assignments/999999/").status_code == 404
    assert api_client.get(f"/api/v1/assignments/{mine[org.rep].pk}/").status_code == 200
    client.force_login(org.rep)
    assert client.get(reverse("training:assignment-detail", args=[other.pk])).status_code == 403
    assert client.get(reverse("training:assignment-detail", args=[999999])).status_code == 404
    assert client.get(reverse("training:team")).status_code == 403
    assert client.get(reverse("training:skills")).status_code == 403
    assert client.get(reverse("training:effectiveness")).status_code == 403
    client.force_login(org.manager)
    rep_c = mine[org.rep_c]
    assert client.get(reverse("training:assignment-detail", args=[rep_c.pk])).status_code == 403
    assert client.get(reverse("training:assignment-detail", args=[other.pk])).status_code == 200


@pytest.mark.django_db
def test_only_the_assignee_completes_modules_and_takes_quizzes(org, world, api_client):
    qc, mine = world
    api_client.force_authenticate(org.manager)
    url = f"/api/v1/assignments/{mine[org.rep].pk}/"
    response = api_client.post(url + "complete-module/", {"module": qc.reading.pk}, format="json")
    assert response.status_code == 403
    api_client.force_authenticate(org.rep)
    response = api_client.post(url + "complete-module/", {"module": qc.reading.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["modules_done"] == 1
    response = api_client.post(url + "complete-module/", {"module": qc.quizzed.pk}, format="json")
    assert response.status_code == 400
    assert "module" in response.json()
    response = api_client.post(
        url + "quiz-attempt/", {"module": qc.quizzed.pk, "answers": qc.right}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["score"], body["passed"], body["assignment_status"]) == (100, True, "completed")
    outside = api_client.post(
        "/api/v1/assignments/", {"course": qc.course.pk, "users": [org.rep_b.pk]}, format="json"
    )
    assert outside.status_code == 403
    api_client.force_authenticate(org.manager_south)
    outside = api_client.post(
        "/api/v1/assignments/", {"course": qc.course.pk, "org_unit": org.north.pk}, format="json"
    )
    assert outside.status_code == 403
    api_client.force_authenticate(org.rep)
    detail = api_client.get(url).json()
    assert detail["completion"] == 100
    assert detail["certification_expires_on"] is not None


@pytest.mark.django_db
def test_catalogue_is_read_by_all_and_written_by_admins(org, world, api_client, client):
    qc, _mine = world
    api_client.force_authenticate(org.rep)
    listed = api_client.get("/api/v1/courses/").json()["results"]
    assert [c["code"] for c in listed] == [qc.course.code]
    quiz = listed[0]["modules"][1]["quiz"]
    assert quiz["pass_mark"] == 70
    assert all("correct" not in o for q in quiz["questions"] for o in q["options"])
    assert api_client.post("/api/v1/courses/", {"title": "X"}, format="json").status_code == 403
    exported = api_client.get("/api/v1/courses/?format=xlsx")
    assert exported.status_code == 200
    assert exported.content[:2] == b"PK"
    for path in ("certifications", "recommendations"):
        assert api_client.get(f"/api/v1/{path}/?format=csv").status_code == 200
    assert api_client.get("/api/v1/courses/effectiveness/").status_code == 403
    client.force_login(org.manager)
    assert client.get(reverse("training:course-create")).status_code == 403
    assert client.get(reverse("training:rules")).status_code == 403

    api_client.force_authenticate(org.admin)
    created = api_client.post(
        "/api/v1/courses/",
        {"title": "Product basics", "code": "product-basics", "category": "product_knowledge"},
        format="json",
    )
    assert created.status_code == 201
    admin_quiz = api_client.get(f"/api/v1/courses/{qc.course.pk}/").json()["modules"][1]["quiz"]
    assert any(o["correct"] for q in admin_quiz["questions"] for o in q["options"])
    duplicate = api_client.post(
        "/api/v1/courses/", {"title": "Again", "code": "product-basics"}, format="json"
    )
    assert duplicate.status_code == 400
    assert "code" in duplicate.json()
    module = api_client.post(
        f"/api/v1/courses/{created.json()['id']}/modules/", {"title": "Intro"}, format="json"
    )
    assert module.status_code == 201
    client.force_login(org.admin)
    response = client.post(
        reverse("training:course-create"),
        {"title": "Listening", "code": "listening", "category": "customer_communication"},
    )
    assert response.status_code == 302
    assert Course.objects.filter(code="listening").exists()


@pytest.mark.django_db
def test_recommendations_scope_and_manager_assigns_from_the_page(org, world, client, api_client):
    course = Course.objects.create(code="closing", title="Closing skills")
    RecommendationRule.objects.create(
        name="Low attainment",
        metric=Metric.objects.get(code="revenue"),
        condition="attainment_below",
        months=1,
        threshold=80,
        course=course,
    )
    for user in (org.rep, org.rep_b, org.rep_c):
        put_cell(user, "revenue", month(2026, 4), 5000, target=10000)
    recs = {r.user_id: r for r in services.recommendations_compute(on=datetime.date(2026, 5, 10))}
    api_client.force_authenticate(org.rep)
    assert _ids(api_client.get("/api/v1/recommendations/")) == {recs[org.rep.pk].pk}
    api_client.force_authenticate(org.manager)
    assert _ids(api_client.get("/api/v1/recommendations/")) == {
        recs[org.rep.pk].pk,
        recs[org.rep_b.pk].pk,
    }
    south = recs[org.rep_c.pk]
    assert api_client.post(f"/api/v1/recommendations/{south.pk}/dismiss/").status_code == 403

    client.force_login(org.manager)
    page = client.get(reverse("training:recommendations"))
    assert page.status_code == 200
    assert "Closing skills" in page.content.decode()
    response = client.post(
        reverse("training:recommendation-assign", args=[recs[org.rep.pk].pk]),
        {"due_on": "2099-01-31"},
    )
    assert response.status_code == 302
    rec = Recommendation.objects.get(pk=recs[org.rep.pk].pk)
    assert rec.status == Recommendation.Status.ASSIGNED
    assert rec.assignment.due_on == datetime.date(2099, 1, 31)
    assert Assignment.objects.filter(user=org.rep, course=course, source="recommendation").exists()
    response = api_client.post(f"/api/v1/recommendations/{recs[org.rep_b.pk].pk}/dismiss/")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["catalogue", "my", "recommendations", "team", "assign", "skills", "effectiveness", "rules"],
)
def test_pages_render_for_admin_with_data_and_empty(org, client, name):
    client.force_login(org.admin)
    assert client.get(reverse(f"training:{name}")).status_code == 200  # empty states
    qc = make_quiz_course(org.admin)
    services.assign(actor=org.admin, course=qc.course, users=[org.rep])
    response = client.get(reverse(f"training:{name}"), {"by": "category"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_rep_takes_the_quiz_through_the_pages(org, client):
    qc = make_quiz_course(org.admin)
    (assignment,) = services.assign(actor=org.manager, course=qc.course, users=[org.rep])
    client.force_login(org.rep)
    detail = reverse("training:assignment-detail", args=[assignment.pk])
    assert client.get(detail).status_code == 200
    client.post(reverse("training:module-complete", args=[assignment.pk, qc.reading.pk]))
    quiz_url = reverse("training:quiz-take", args=[assignment.pk, qc.quizzed.pk])
    assert client.get(quiz_url).status_code == 200
    data = {f"q{q}": options for q, options in qc.right.items()}
    response = client.post(quiz_url, data)
    assert response.status_code == 200
    assert b"100%" in response.content
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.COMPLETED
    for name in ("my", "catalogue"):
        assert client.get(reverse(f"training:{name}")).status_code == 200
    assert client.get(reverse("training:course-detail", args=[qc.course.code])).status_code == 200


@pytest.mark.django_db
def test_api_lists_take_a_constant_number_of_queries(
    org, api_client, django_assert_max_num_queries
):
    from tests.factories import UserFactory

    courses = [make_quiz_course(org.admin, code=f"course-{i}").course for i in range(4)]
    people = [UserFactory(org_unit=org.team_a) for _ in range(6)]
    for course in courses:
        services.assign(actor=org.admin, course=course, users=people)
    api_client.force_authenticate(org.manager)
    with django_assert_max_num_queries(8):
        response = api_client.get("/api/v1/assignments/?page_size=100")
    assert response.json()["count"] == 24
    with django_assert_max_num_queries(10):
        response = api_client.get("/api/v1/courses/")
    assert len(response.json()["results"]) == 4


@pytest.mark.django_db
def test_rules_api_is_configured_by_admins(org, api_client):
    course = make_quiz_course(org.admin).course
    body = {
        "name": "Falling retention",
        "metric": "retention_rate",
        "condition": "falling",
        "months": 2,
        "course": course.pk,
    }
    api_client.force_authenticate(org.manager)
    assert api_client.post("/api/v1/recommendation-rules/", body, format="json").status_code == 403
    assert api_client.get("/api/v1/recommendation-rules/").status_code == 200
    api_client.force_authenticate(org.rep)
    assert api_client.get("/api/v1/recommendation-rules/").status_code == 403
    api_client.force_authenticate(org.admin)
    created = api_client.post("/api/v1/recommendation-rules/", body, format="json")
    assert created.status_code == 201
    assert created.json()["metric"] == "retention_rate"
    bad = api_client.post(
        "/api/v1/recommendation-rules/", {**body, "condition": "attainment_below"}, format="json"
    )
    assert bad.status_code == 400
    assert "threshold" in bad.json()
    rule_id = created.json()["id"]
    assert api_client.delete(f"/api/v1/recommendation-rules/{rule_id}/").status_code == 204


@pytest.mark.django_db
def test_admin_builds_a_module_with_material_and_quiz_through_the_pages(
    org, client, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from training.models import Module, Question

    settings.MEDIA_ROOT = tmp_path
    course = services.course_create(actor=org.admin, code="listening", title="Listening")
    client.force_login(org.admin)
    response = client.post(
        reverse("training:module-create", args=[course.code]),
        {"title": "Active listening", "body": "Paraphrase.", "minutes": 20},
    )
    module = Module.objects.get(course=course)
    assert response.url == reverse("training:module-edit", args=[module.pk])
    client.post(
        reverse("training:material-add", args=[module.pk]),
        {"title": "Slides", "file": SimpleUploadedFile("slides.pdf", b"%PDF-1.4")},
    )
    client.post(
        reverse("training:material-add", args=[module.pk]),
        {"title": "Bad", "file": SimpleUploadedFile("virus.exe", b"MZ")},
    )
    assert list(module.materials.values_list("title", flat=True)) == ["Slides"]
    client.post(reverse("training:quiz-set", args=[module.pk]), {"pass_mark": 80})
    client.post(
        reverse("training:question-add", args=[module.pk]),
        {
            "text": "Best first reply?",
            "option_1": "Paraphrase",
            "correct_1": "on",
            "option_2": "Pitch",
        },
    )
    page = client.get(reverse("training:module-edit", args=[module.pk]))
    assert page.status_code == 200
    question = Question.objects.get()
    assert question.quiz.pass_mark == 80
    assert [(o.text, o.correct) for o in question.options.all()] == [
        ("Paraphrase", True),
        ("Pitch", False),
    ]
    errors = [str(m) for m in page.context["messages"]]
    assert any("not accepted" in m for m in errors)
    client.force_login(org.manager)
    assert (
        client.post(reverse("training:quiz-set", args=[module.pk]), {"pass_mark": 1}).status_code
        == 403
    )


@pytest.mark.django_db
def test_recommendations_page_queries_do_not_grow_with_rows(
    org, client, django_assert_max_num_queries
):
    from tests.factories import UserFactory

    course = make_quiz_course(org.admin).course
    rule = RecommendationRule.objects.create(
        name="r", metric=Metric.objects.get(code="revenue"), condition="falling", course=course
    )
    people = [UserFactory(org_unit=org.team_a) for _ in range(12)]
    for person in people:
        Recommendation.objects.create(
            user=person,
            rule=rule,
            course=course,
            period=month(2026, 4),
            reason="x",
            evidence={"values": [3, 2, 1]},
        )
    client.force_login(org.manager)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("training:recommendations"))
    assert len(response.context["page"].object_list) == 12


@pytest.mark.django_db
def test_admins_record_certifications_through_the_api(org, api_client):
    course = make_quiz_course(org.admin).course
    today = datetime.date.today()
    issued, expires = today - datetime.timedelta(days=30), today + datetime.timedelta(days=300)
    body = {"user": org.rep.pk, "course": course.pk, "issued_on": issued.isoformat()}
    api_client.force_authenticate(org.manager)
    assert api_client.post("/api/v1/certifications/", body, format="json").status_code == 403
    api_client.force_authenticate(org.admin)
    bad = api_client.post(
        "/api/v1/certifications/",
        {**body, "expires_on": (issued - datetime.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert bad.status_code == 400
    assert "expires_on" in bad.json()
    made = api_client.post(
        "/api/v1/certifications/", {**body, "expires_on": expires.isoformat()}, format="json"
    )
    assert made.status_code == 201
    api_client.force_authenticate(org.rep)
    listed = api_client.get("/api/v1/certifications/?valid=1").json()["results"]
    assert [c["course_code"] for c in listed] == [course.code]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "limit"), [("team", 13), ("skills", 12), ("my", 12)])
def test_team_pages_queries_do_not_grow_with_people(
    org, client, django_assert_max_num_queries, name, limit
):
    from tests.factories import UserFactory

    courses = [make_quiz_course(org.admin, code=f"c-{i}").course for i in range(3)]
    people = [UserFactory(org_unit=org.team_a) for _ in range(10)]
    for course in courses:
        services.assign(actor=org.admin, course=course, users=[*people, org.manager])
    client.force_login(org.manager)
    with django_assert_max_num_queries(limit):
        response = client.get(reverse(f"training:{name}"))
    assert response.status_code == 200

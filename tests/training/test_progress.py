"""Assignments, module completion, quiz grading and pass mark, certification expiry and the
renewal reminder (sent once)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from salesgoals.models import Notification
from tests.training.conftest import make_quiz_course
from training import services
from training.models import Assignment, Certification, Material
from training.selectors import valid_certifications

TODAY = datetime.date(2026, 5, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("training.services.assignments._today", lambda: TODAY)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("choice", "correct", "score", "passed"),
    [
        ("right", 3, 100, True),
        ("two_right", 2, 67, False),  # 66.7% rounds to 67 < 70
        ("wrong", 0, 0, False),
        ("partial_multi", 2, 67, False),  # one of two correct options is not right
        ("empty", 0, 0, False),
    ],
)
def test_quiz_is_graded_on_the_server_against_the_pass_mark(org, choice, correct, score, passed):
    qc = make_quiz_course(org.admin)
    q1, q2, q3 = list(qc.right)
    answers = {
        "right": qc.right,
        "two_right": {q1: qc.right[q1], q2: qc.right[q2], q3: qc.wrong[q3]},
        "wrong": qc.wrong,
        "partial_multi": {q1: qc.right[q1], q2: qc.right[q2][:1], q3: qc.right[q3]},
        "empty": {},
    }[choice]
    (assignment,) = services.assign(actor=org.manager, course=qc.course, users=[org.rep])
    attempt = services.quiz_submit(
        actor=org.rep, assignment=assignment, module=qc.quizzed, answers=answers
    )
    assert (attempt.correct, attempt.total, attempt.score, attempt.passed) == (
        correct,
        3,
        score,
        passed,
    )
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS
    assert assignment.score == score
    assert assignment.completions.filter(module=qc.quizzed).exists() is passed


@pytest.mark.django_db
@pytest.mark.parametrize(("pass_mark", "passed"), [(66, True), (67, True), (68, False)])
def test_pass_mark_edge(org, pass_mark, passed):
    qc = make_quiz_course(org.admin)
    services.quiz_set(actor=org.admin, module=qc.quizzed, pass_mark=pass_mark)
    q1, q2, q3 = list(qc.right)
    (assignment,) = services.assign(actor=org.rep, course=qc.course, users=[org.rep])
    attempt = services.quiz_submit(
        actor=org.rep,
        assignment=assignment,
        module=qc.quizzed,
        answers={q1: qc.right[q1], q2: qc.right[q2], q3: qc.wrong[q3]},
    )
    assert attempt.score == 67
    assert attempt.passed is passed


@pytest.mark.django_db
def test_completing_a_certifying_course_issues_a_certification_with_expiry(org):
    qc = make_quiz_course(org.admin)
    (assignment,) = services.assign(
        actor=org.manager, course=qc.course, users=[org.rep], due_on=datetime.date(2026, 6, 30)
    )
    with pytest.raises(ValidationError, match="Pass the module"):
        services.module_complete(actor=org.rep, assignment=assignment, module=qc.quizzed)
    with pytest.raises(PermissionDenied):  # only the assignee does the course
        services.module_complete(actor=org.manager, assignment=assignment, module=qc.reading)
    services.quiz_submit(actor=org.rep, assignment=assignment, module=qc.quizzed, answers=qc.wrong)
    services.quiz_submit(actor=org.rep, assignment=assignment, module=qc.quizzed, answers=qc.right)
    services.module_complete(actor=org.rep, assignment=assignment, module=qc.reading)

    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.COMPLETED
    assert assignment.completed_on == TODAY
    assert assignment.score == 100  # the best attempt counts
    cert = Certification.objects.get(user=org.rep)
    assert (cert.issued_on, cert.expires_on) == (TODAY, datetime.date(2027, 5, 19))
    assert valid_certifications([org.rep.pk], TODAY) == {org.rep.pk: {qc.course.code}}
    assert valid_certifications([org.rep.pk], datetime.date(2027, 5, 20)) == {org.rep.pk: set()}
    with pytest.raises(ValidationError, match="no longer open"):
        services.quiz_submit(
            actor=org.rep, assignment=assignment, module=qc.quizzed, answers=qc.right
        )


@pytest.mark.django_db
def test_renewal_reminder_is_sent_once_and_not_after_renewal(org):
    qc = make_quiz_course(org.admin)
    soon = Certification.objects.create(
        user=org.rep,
        course=qc.course,
        issued_on=datetime.date(2025, 6, 1),
        expires_on=TODAY + datetime.timedelta(days=20),
    )
    Certification.objects.create(  # far from expiry: no reminder
        user=org.rep_b,
        course=qc.course,
        issued_on=TODAY,
        expires_on=TODAY + datetime.timedelta(days=200),
    )
    renewed_old = Certification.objects.create(
        user=org.rep_c,
        course=qc.course,
        issued_on=datetime.date(2025, 6, 1),
        expires_on=TODAY + datetime.timedelta(days=10),
    )
    Certification.objects.create(  # rep C already renewed
        user=org.rep_c, course=qc.course, issued_on=TODAY - datetime.timedelta(days=1)
    )
    key = f"training:cert-renewal:{soon.pk}"

    first = services.certification_reminders_send(on=TODAY)
    again = services.certification_reminders_send(on=TODAY + datetime.timedelta(days=1))

    assert first == 2  # rep A and the nearest manager above them (North's; Team A has none)
    assert again == 0
    assert Notification.objects.filter(recipient=org.rep, dedupe_key=key).count() == 1
    assert Notification.objects.filter(recipient=org.manager, dedupe_key=key).count() == 1
    assert not Notification.objects.filter(
        dedupe_key=f"training:cert-renewal:{renewed_old.pk}"
    ).exists()
    assert not Notification.objects.filter(recipient=org.rep_b).exists()


@pytest.mark.django_db
def test_unit_assignment_reaches_everyone_in_the_subtree_and_keeps_open_ones(org):
    qc = make_quiz_course(org.admin)
    (early,) = services.assign(
        actor=org.manager, course=qc.course, users=[org.rep], due_on=datetime.date(2026, 9, 1)
    )
    made = services.assign(
        actor=org.manager, course=qc.course, unit=org.north, due_on=datetime.date(2026, 7, 1)
    )
    people = {a.user_id for a in made}
    assert people == {org.rep.pk, org.rep_b.pk, org.manager.pk}
    early.refresh_from_db()
    assert early.due_on == datetime.date(2026, 7, 1)  # the earlier due date wins
    assert Assignment.objects.filter(user=org.rep).count() == 1
    with pytest.raises(PermissionDenied):
        services.assign(actor=org.manager, course=qc.course, unit=org.south)
    with pytest.raises(PermissionDenied):
        services.assign(actor=org.manager, course=qc.course, users=[org.rep_c])
    with pytest.raises(PermissionDenied):
        services.assign(actor=org.rep, course=qc.course, users=[org.rep_b])
    with pytest.raises(ValidationError, match="past"):
        services.assign(
            actor=org.rep, course=qc.course, users=[org.rep], due_on=datetime.date(2020, 1, 1)
        )


@pytest.mark.django_db
def test_material_uploads_are_checked_for_type_and_size(org, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    qc = make_quiz_course(org.admin)
    pdf = SimpleUploadedFile("pitch.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    material = services.material_add(actor=org.admin, module=qc.reading, title="", file=pdf)
    assert material.kind == Material.Kind.FILE
    assert material.title == "pitch.pdf"
    assert (tmp_path / material.file.name).read_bytes() == b"%PDF-1.4 demo"

    exe = SimpleUploadedFile("tool.exe", b"MZ")
    with pytest.raises(ValidationError) as error:
        services.material_add(actor=org.admin, module=qc.reading, title="x", file=exe)
    assert "file" in error.value.message_dict
    monkeypatch.setattr("training.services.catalogue.MAX_UPLOAD_BYTES", 4)
    big = SimpleUploadedFile("big.pdf", b"12345")
    with pytest.raises(ValidationError, match="too large"):
        services.material_add(actor=org.admin, module=qc.reading, title="x", file=big)
    link = services.material_add(
        actor=org.admin, module=qc.reading, title="Guide", url="https://example.com/guide"
    )
    assert link.href == "https://example.com/guide"
    with pytest.raises(PermissionDenied):
        services.material_add(
            actor=org.manager, module=qc.reading, title="x", url="https://example.com"
        )


@pytest.mark.django_db
def test_overdue_reminder_is_sent_once_per_due_date(org):
    qc = make_quiz_course(org.admin)
    services.assign(
        actor=org.admin, course=qc.course, users=[org.rep], due_on=datetime.date(2026, 5, 25)
    )
    services.assign(
        actor=org.admin, course=qc.course, users=[org.rep_b], due_on=datetime.date(2026, 7, 1)
    )
    assert services.overdue_reminders_send(on=datetime.date(2026, 5, 25)) == 0
    assert services.overdue_reminders_send(on=datetime.date(2026, 5, 26)) == 2  # rep + manager
    assert services.overdue_reminders_send(on=datetime.date(2026, 5, 27)) == 0
    assert Notification.objects.filter(recipient=org.rep, title__contains="overdue").count() == 1
    assert not Notification.objects.filter(recipient=org.rep_b, title__contains="overdue").exists()

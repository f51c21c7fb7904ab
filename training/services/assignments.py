"""Writes of training progress: assigning courses, completing modules, taking quizzes,
issuing certifications and reminding people to renew them.

- ``assign`` gives a course to people and/or to every active member of a unit's subtree (only
  the people in the actor's scope); someone who already has an open assignment of the course
  keeps it (its due date moves when the new one is earlier).
- A module with a quiz is completed by passing the quiz; the others by marking them done.
  When every module is done the assignment is completed, its score is the mean of the best
  attempt of each quiz, and a certifying course issues a certification
  (``issued_on`` = completion day, ``expires_on`` = that + the course's validity).
- Quizzes are graded here, never in the browser: a question scores when the chosen options
  are exactly its correct options.
- Reminders (renewal, overdue) live in ``training.services.reminders``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesgoals.models import OrgUnit, User
from salesgoals.services import notification_send
from training.models import (
    Assignment,
    Certification,
    Course,
    Module,
    ModuleCompletion,
    Quiz,
    QuizAttempt,
)
from training.selectors import matrix
from training.selectors.access import can_assign, can_assign_unit, can_configure

#: Days before expiry when the renewal reminder goes out.
RENEWAL_NOTICE_DAYS = matrix.RENEWAL_NOTICE_DAYS


def _today() -> datetime.date:
    return timezone.localdate()


def _unit_members(unit: OrgUnit) -> list[User]:
    return list(
        User.objects.filter(is_active=True, org_unit__path__startswith=unit.path).order_by("pk")
    )


@transaction.atomic
def assign(
    *,
    actor: User,
    course: Course,
    users: Iterable[User] = (),
    unit: OrgUnit | None = None,
    due_on: datetime.date | None = None,
    note: str = "",
    source: str | None = None,
) -> list[Assignment]:
    """Assign ``course`` to ``users`` and/or every active member of ``unit``'s subtree.

    Returns the assignments now open for these people (new or existing). People outside the
    actor's scope are refused (a unit is refused as a whole when it is outside the scope).
    """
    errors: dict[str, list[str]] = {}
    people = {u.pk: u for u in users}
    if unit is not None:
        if not can_assign_unit(actor, unit):
            raise PermissionDenied(_("This unit is outside your scope."))
        for member in _unit_members(unit):
            people.setdefault(member.pk, member)
    if not people:
        errors["users"] = [_("Choose at least one person or a unit.")]
    if not course.active:
        errors["course"] = [_("This course is no longer offered.")]
    if due_on is not None and due_on < _today():
        errors["due_on"] = [_("The due date is in the past.")]
    if errors:
        raise ValidationError(errors)
    for person in people.values():
        if not can_assign(actor, person):
            raise PermissionDenied(
                _("%(person)s is outside your scope.") % {"person": person.display}
            )
    if source is None:
        if unit is not None:
            source = Assignment.Source.UNIT
        elif list(people) == [actor.pk]:
            source = Assignment.Source.SELF
        else:
            source = Assignment.Source.MANUAL
    existing = {
        a.user_id: a
        for a in Assignment.objects.select_for_update().filter(
            course=course, user_id__in=list(people), status__in=Assignment.OPEN_STATUSES
        )
    }
    result: list[Assignment] = []
    created: list[Assignment] = []
    for pk, person in people.items():
        current = existing.get(pk)
        if current is not None:
            if due_on and (current.due_on is None or due_on < current.due_on):
                current.due_on = due_on
                current.save(update_fields=["due_on", "updated_at"])
            result.append(current)
            continue
        assignment = Assignment.objects.create(
            user=person,
            course=course,
            due_on=due_on,
            source=source,
            org_unit=unit,
            assigned_by=actor,
            note=(note or "").strip()[:300],
        )
        created.append(assignment)
        result.append(assignment)
    for assignment in created:
        if assignment.user_id == actor.pk:
            continue
        body = (
            _("Due on %(date)s.") % {"date": assignment.due_on.isoformat()}
            if assignment.due_on
            else ""
        )
        notification_send(
            recipient=assignment.user,
            title=_("New course assigned: %(course)s") % {"course": course.title},
            body=body,
            link=reverse("training:assignment-detail", args=[assignment.pk]),
            dedupe_key=f"training:assignment:{assignment.pk}",
        )
    return result


@transaction.atomic
def assignment_cancel(*, actor: User, assignment: Assignment) -> Assignment:
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not can_assign(actor, assignment.user) or (
        assignment.user_id == actor.pk and assignment.source != Assignment.Source.SELF
    ):
        raise PermissionDenied(_("You may not cancel this assignment."))
    if not assignment.is_open:
        raise ValidationError({"status": [_("Only open assignments can be cancelled.")]})
    assignment.status = Assignment.Status.CANCELLED
    assignment.save(update_fields=["status", "updated_at"])
    return assignment


def _lock_own(actor: User, assignment: Assignment) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update().select_related("course").get(pk=assignment.pk)
    )
    if assignment.user_id != actor.pk:
        raise PermissionDenied(_("Only the person this course is assigned to can do it."))
    if not assignment.is_open:
        raise ValidationError({"status": [_("This assignment is no longer open.")]})
    return assignment


def _module_of(assignment: Assignment, module: Module | int) -> Module:
    pk = module.pk if isinstance(module, Module) else module
    found = Module.objects.filter(pk=pk, course_id=assignment.course_id).first()
    if found is None:
        raise ValidationError({"module": [_("This module is not part of the course.")]})
    return found


@transaction.atomic
def module_complete(*, actor: User, assignment: Assignment, module: Module | int) -> Assignment:
    """Mark a module without a quiz done (a module with a quiz is done by passing it)."""
    assignment = _lock_own(actor, assignment)
    module = _module_of(assignment, module)
    if Quiz.objects.filter(module=module).exists():
        raise ValidationError({"module": [_("Pass the module's quiz to complete it.")]})
    ModuleCompletion.objects.get_or_create(assignment=assignment, module=module)
    return _advance(assignment)


def grade(quiz: Quiz, answers: Mapping[Any, Iterable[Any]]) -> tuple[int, int, int]:
    """(correct, total, score %) of ``answers`` {question id: chosen option ids}.

    A question counts when the chosen options are exactly its correct ones; the score rounds
    half up to a whole percent.
    """
    chosen = {str(q): {int(o) for o in (opts or [])} for q, opts in answers.items()}
    correct = total = 0
    for question in quiz.questions.prefetch_related("options"):
        total += 1
        right = {o.pk for o in question.options.all() if o.correct}
        if chosen.get(str(question.pk), set()) == right:
            correct += 1
    score = (correct * 100 * 2 + total) // (2 * total) if total else 0
    return correct, total, score


def _normalise_answers(quiz: Quiz, answers: Mapping[Any, Any]) -> dict[str, list[int]]:
    valid: dict[int, set[int]] = {}
    for question in quiz.questions.prefetch_related("options"):
        valid[question.pk] = {o.pk for o in question.options.all()}
    out: dict[str, list[int]] = {}
    for key, value in answers.items():
        try:
            qid = int(key)
        except (TypeError, ValueError):
            continue
        if qid not in valid:
            raise ValidationError({"answers": [_("An answer refers to another quiz.")]})
        values = value if isinstance(value, list | tuple | set) else [value]
        try:
            picked = sorted({int(v) for v in values if v not in ("", None)})
        except (TypeError, ValueError) as error:
            raise ValidationError({"answers": [_("Answers are option ids.")]}) from error
        if not set(picked) <= valid[qid]:
            raise ValidationError({"answers": [_("An answer is not an option of its question.")]})
        out[str(qid)] = picked
    return out


@transaction.atomic
def quiz_submit(
    *, actor: User, assignment: Assignment, module: Module | int, answers: Mapping[Any, Any]
) -> QuizAttempt:
    """Grade an attempt; passing completes the module (and maybe the course)."""
    assignment = _lock_own(actor, assignment)
    module = _module_of(assignment, module)
    quiz = Quiz.objects.filter(module=module).first()
    if quiz is None:
        raise ValidationError({"module": [_("This module has no quiz.")]})
    if not quiz.questions.exists():
        raise ValidationError({"module": [_("This quiz has no questions yet.")]})
    cleaned = _normalise_answers(quiz, answers)
    correct, total, score = grade(quiz, cleaned)
    attempt = QuizAttempt.objects.create(
        assignment=assignment,
        quiz=quiz,
        answers=cleaned,
        correct=correct,
        total=total,
        score=score,
        passed=score >= quiz.pass_mark,
    )
    if attempt.passed:
        ModuleCompletion.objects.get_or_create(assignment=assignment, module=module)
    _advance(assignment)
    return attempt


def _course_score(assignment: Assignment) -> int | None:
    best = (
        QuizAttempt.objects.filter(assignment=assignment)
        .values("quiz_id")
        .annotate(best=Max("score"))
        .values_list("best", flat=True)
    )
    quizzes = Quiz.objects.filter(module__course_id=assignment.course_id).count()
    if not quizzes:
        return None
    scores = list(best)
    return round(sum(scores) / quizzes) if scores else None


def _advance(assignment: Assignment) -> Assignment:
    """Move an open assignment on: in progress, or completed when every module is done."""
    modules = set(
        Module.objects.filter(course_id=assignment.course_id).values_list("pk", flat=True)
    )
    done = set(assignment.completions.values_list("module_id", flat=True))
    assignment.score = _course_score(assignment)
    if modules and modules <= done:
        assignment.status = Assignment.Status.COMPLETED
        assignment.completed_on = _today()
        assignment.save()
        _certify(assignment)
    else:
        assignment.status = Assignment.Status.IN_PROGRESS
        assignment.save()
    return assignment


def _certify(assignment: Assignment) -> Certification | None:
    course = assignment.course
    if not course.certifying:
        return None
    issued = assignment.completed_on or _today()
    expires = (
        issued + relativedelta(months=course.certification_valid_months) - datetime.timedelta(1)
        if course.certification_valid_months
        else None
    )
    return Certification.objects.create(
        user_id=assignment.user_id,
        course=course,
        assignment=assignment,
        issued_on=issued,
        expires_on=expires,
    )


@transaction.atomic
def certification_issue(
    *,
    actor: User,
    user: User,
    course: Course,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
) -> Certification:
    """Record a certification earned elsewhere (admins), e.g. when migrating records."""
    if not can_configure(actor):
        raise PermissionDenied(_("Only admins record certifications by hand."))
    if expires_on is not None and expires_on < issued_on:
        raise ValidationError({"expires_on": [_("The expiry is before the issue date.")]})
    return Certification.objects.create(
        user=user, course=course, issued_on=issued_on, expires_on=expires_on
    )

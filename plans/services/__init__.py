"""Writes of the plans app: the feedback channel.

Each write is one transaction and raises `ValidationError` with a field dict on bad input
(`PermissionDenied` when the user may not act on the item). Notifications go through
`salesgoals.services.notification_send` with a `dedupe_key`, so each is sent once:
new feedback → the nearest manager above the author (their unit's manager, else the next unit
up), or the executives when there is none; a response → the author and everyone else in the
thread; a status change → the author.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from plans import selectors
from plans.models import ActionPlan, Feedback, FeedbackResponse, Task
from plans.selectors import actions as action_selectors
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Role, User
from salesgoals.services import notification_send
from targets import rules as target_rules
from targets.models import TargetPlan


def _link(item: Feedback) -> str:
    return reverse("plans:feedback-detail", args=[item.pk])


def _handlers_of(item: Feedback) -> list[User]:
    """Who hears of new feedback: the nearest manager above the author, else the executives."""
    unit: OrgUnit | None = item.org_unit
    if unit is not None:
        step = OrgUnit.steplen
        paths = [unit.path[:n] for n in range(step, len(unit.path) + 1, step)]
        line = OrgUnit.objects.filter(path__in=paths).select_related("manager").order_by("-depth")
        for above in line:
            manager = above.manager
            if manager is not None and manager.pk != item.author_id and manager.is_active:
                return [manager]
    return list(User.objects.filter(is_active=True, role=Role.EXECUTIVE).exclude(pk=item.author_id))


def _action_subject(
    actor: User, action_plan: Any, task: Any, errors: dict[str, list[str]]
) -> tuple[ActionPlan | None, Task | None]:
    """The action plan and task feedback is about (a task implies its plan), in scope."""
    if task not in (None, "") and not isinstance(task, Task):
        task = Task.objects.select_related("plan").filter(pk=task).first() if is_id(task) else None
        if task is None:
            errors["task"] = [_("Unknown task.")]
    if isinstance(task, Task):
        if not action_selectors.task_can_view(actor, task):
            errors["task"] = [_("This task is outside your scope.")]
        action_plan = task.plan
    if action_plan not in (None, "") and not isinstance(action_plan, ActionPlan):
        found = ActionPlan.objects.filter(pk=action_plan).first() if is_id(action_plan) else None
        if found is None:
            errors["action_plan"] = [_("Unknown action plan.")]
        action_plan = found
    if (
        isinstance(action_plan, ActionPlan)
        and not isinstance(task, Task)
        and not action_selectors.plan_can_view(actor, action_plan)
    ):
        errors["action_plan"] = [_("This action plan is outside your scope.")]
    return (
        action_plan if isinstance(action_plan, ActionPlan) else None,
        task if isinstance(task, Task) else None,
    )


def _author_label(item: Feedback) -> str:
    return _("Anonymous") if item.anonymous else item.author.display


@transaction.atomic
def feedback_create(
    *,
    actor: User,
    category: str,
    title: str,
    text: str,
    plan: TargetPlan | int | None = None,
    subject_type: str | None = None,
    anonymous: bool = False,
    action_plan: ActionPlan | int | None = None,
    task: Task | int | None = None,
) -> Feedback:
    errors: dict[str, list[str]] = {}
    action_plan, task = _action_subject(actor, action_plan, task, errors)
    title, text = (title or "").strip(), (text or "").strip()
    if category not in Feedback.Category.values:
        errors["category"] = [_("Choose a category.")]
    if not title:
        errors["title"] = [_("Give the feedback a short title.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the title to 200 characters.")]
    if not text:
        errors["text"] = [_("Describe the feedback.")]
    if plan is not None and not isinstance(plan, TargetPlan):
        plan = TargetPlan.objects.filter(pk=plan).first()
        if plan is None:
            errors["plan"] = [_("Unknown target plan.")]
    if isinstance(plan, TargetPlan) and not target_rules.can_view(actor, plan):
        errors["plan"] = [_("This target plan is outside your scope.")]
    if subject_type is None:
        subject_type = (
            Feedback.Subject.TASK
            if task
            else Feedback.Subject.ACTION_PLAN
            if action_plan
            else Feedback.Subject.TARGET_PLAN
            if plan
            else Feedback.Subject.GENERAL
        )
    if subject_type not in Feedback.Subject.values:
        errors["subject_type"] = [_("Unknown subject.")]
    elif subject_type == Feedback.Subject.TARGET_PLAN and not plan and "plan" not in errors:
        errors["plan"] = [_("Choose the target plan this feedback is about.")]
    elif subject_type == Feedback.Subject.GENERAL and plan:
        errors["subject_type"] = [_("Feedback on a target plan has the subject “target plan”.")]
    elif subject_type == Feedback.Subject.TASK and not task and "task" not in errors:
        errors["task"] = [_("Choose the task this feedback is about.")]
    elif subject_type == Feedback.Subject.ACTION_PLAN and not action_plan:
        errors.setdefault("action_plan", [_("Choose the action plan this feedback is about.")])
    elif subject_type in (Feedback.Subject.GENERAL, Feedback.Subject.TARGET_PLAN) and (
        action_plan or task
    ):
        errors["subject_type"] = [_("Feedback on an action plan or a task has that subject.")]
    if errors:
        raise ValidationError(errors)
    item = Feedback.objects.create(
        author=actor,
        anonymous=bool(anonymous),
        category=category,
        subject_type=subject_type,
        plan=plan if isinstance(plan, TargetPlan) else None,
        action_plan=action_plan,
        task=task,
        org_unit_id=actor.org_unit_id,
        title=title,
        text=text,
    )
    for recipient in _handlers_of(item):
        notification_send(
            recipient=recipient,
            title=_("New feedback: %(title)s") % {"title": item.title},
            body=_("%(author)s raised feedback (%(category)s).")
            % {"author": _author_label(item), "category": item.get_category_display()},
            link=_link(item),
            dedupe_key=f"feedback:{item.pk}:new",
        )
    return item


def _participants(item: Feedback) -> set[int]:
    ids = set(item.responses.values_list("author_id", flat=True))
    ids.add(item.author_id)
    return ids


@transaction.atomic
def feedback_respond(*, actor: User, feedback: Feedback, text: str) -> FeedbackResponse:
    item = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if not selectors.feedback_can_view(actor, item):
        raise PermissionDenied
    if item.status == Feedback.Status.CLOSED:
        raise ValidationError({"text": [_("This feedback is closed.")]})
    if not selectors.feedback_can_respond(actor, item):
        raise PermissionDenied(_("Only the author and those who handle this feedback may reply."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write a reply.")]})
    response = FeedbackResponse.objects.create(feedback=item, author=actor, text=text)
    item.save(update_fields=["updated_at"])
    recipients = User.objects.filter(pk__in=_participants(item) - {actor.pk}, is_active=True)
    who = actor.display
    if item.anonymous and actor.pk == item.author_id:
        who = _("Anonymous")
    for recipient in recipients:
        notification_send(
            recipient=recipient,
            title=_("Reply to feedback: %(title)s") % {"title": item.title},
            body=_("%(author)s replied.") % {"author": who},
            link=_link(item),
            dedupe_key=f"feedback-response:{response.pk}",
        )
    return response


@transaction.atomic
def feedback_set_status(*, actor: User, feedback: Feedback, status: str) -> Feedback:
    item = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if not selectors.feedback_can_view(actor, item):
        raise PermissionDenied
    if status not in Feedback.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status not in selectors.TRANSITIONS[item.status]:
        raise ValidationError(
            {
                "status": [
                    _("Feedback that is %(current)s cannot become %(new)s.")
                    % {
                        "current": item.get_status_display(),
                        "new": Feedback.Status(status).label,
                    }
                ]
            }
        )
    if status not in selectors.feedback_next_statuses(actor, item):
        raise PermissionDenied(_("You may not set this status."))
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    if actor.pk != item.author_id:
        notification_send(
            recipient=item.author,
            title=_("Your feedback is now %(status)s: %(title)s")
            % {"status": item.get_status_display(), "title": item.title},
            link=_link(item),
            dedupe_key=f"feedback:{item.pk}:status:{status}",
        )
    return item

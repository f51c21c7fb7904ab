"""Writes of the course catalogue (admins only): courses, modules, materials and quizzes.

Every function checks `training.selectors.access.can_configure`, validates (raising a
`ValidationError` with a field dict) and writes in one transaction. Uploaded materials are
checked for type (by extension) and size before anything is stored.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from salesgoals.models import User
from training.models import AnswerOption, Course, Material, Module, Question, Quiz
from training.selectors.access import can_configure

#: File types a material may have (by extension) and the largest upload accepted.
ALLOWED_EXTENSIONS = (
    ".pdf",
    ".pptx",
    ".ppt",
    ".docx",
    ".doc",
    ".xlsx",
    ".txt",
    ".md",
    ".png",
    ".jpg",
    ".jpeg",
    ".mp4",
    ".mp3",
)
MAX_UPLOAD_BYTES = 25 * 1024 * 1024


def _require_admin(actor: User) -> None:
    if not can_configure(actor):
        raise PermissionDenied(_("Only admins configure the training catalogue."))


def _course_fields(data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = (data.get("title") or "").strip()
        if not out["title"]:
            errors["title"] = [_("Give the course a title.")]
    if "code" in data:
        out["code"] = slugify(data.get("code") or "")[:60]
        if not out["code"]:
            errors["code"] = [_("Give the course a short code (letters, digits and hyphens).")]
    if "category" in data:
        out["category"] = data.get("category")
        if out["category"] not in Course.Category.values:
            errors["category"] = [_("Choose a category.")]
    for key in ("description",):
        if key in data:
            out[key] = (data.get(key) or "").strip()
    for key in ("certifying", "active"):
        if key in data:
            out[key] = bool(data.get(key))
    if "certification_valid_months" in data:
        months = data.get("certification_valid_months")
        if months in ("", None):
            out["certification_valid_months"] = None
        else:
            try:
                months = int(months)
            except (TypeError, ValueError):
                months = 0
            if not 1 <= months <= 120:
                errors["certification_valid_months"] = [
                    _("Enter a number of months between 1 and 120, or leave it empty.")
                ]
            out["certification_valid_months"] = months
    return out


@transaction.atomic
def course_create(*, actor: User, **data: Any) -> Course:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    data.setdefault("category", Course.Category.OTHER)
    data.setdefault("code", data.get("title", ""))
    fields = _course_fields(data, errors)
    if "code" not in errors and Course.objects.filter(code=fields.get("code")).exists():
        errors["code"] = [_("Another course already has this code.")]
    if errors:
        raise ValidationError(errors)
    return Course.objects.create(created_by=actor, **fields)


@transaction.atomic
def course_update(*, actor: User, course: Course, **data: Any) -> Course:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    fields = _course_fields(data, errors)
    code = fields.get("code")
    if code and Course.objects.filter(code=code).exclude(pk=course.pk).exists():
        errors["code"] = [_("Another course already has this code.")]
    if errors:
        raise ValidationError(errors)
    course = Course.objects.select_for_update().get(pk=course.pk)
    for key, value in fields.items():
        setattr(course, key, value)
    course.save()
    return course


@transaction.atomic
def module_save(
    *,
    actor: User,
    course: Course,
    title: str,
    body: str = "",
    minutes: int | None = 15,
    order: int | None = None,
    module: Module | None = None,
) -> Module:
    """Create a module at the end of the course (or update ``module``)."""
    _require_admin(actor)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the module a title.")]
    if minutes is not None and not 0 <= int(minutes) <= 1000:
        errors["minutes"] = [_("Enter between 0 and 1000 minutes.")]
    if errors:
        raise ValidationError(errors)
    if module is None:
        if order is None:
            order = (course.modules.aggregate(m=Max("order"))["m"] or 0) + 1
        module = Module(course=course, order=order)
    elif order is not None:
        module.order = order
    module.title = title
    module.body = (body or "").strip()
    module.minutes = int(minutes or 0)
    module.save()
    return module


@transaction.atomic
def module_delete(*, actor: User, module: Module) -> None:
    _require_admin(actor)
    module.delete()


def _check_upload(upload: UploadedFile) -> list[str]:
    problems = []
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        problems.append(
            _("This file type is not accepted. Allowed: %(types)s.")
            % {"types": ", ".join(e.lstrip(".") for e in ALLOWED_EXTENSIONS)}
        )
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        problems.append(
            _("The file is too large (at most %(mb)s MB).") % {"mb": MAX_UPLOAD_BYTES // 2**20}
        )
    if not upload.size:
        problems.append(_("The file is empty."))
    return problems


@transaction.atomic
def material_add(
    *,
    actor: User,
    module: Module,
    title: str,
    file: UploadedFile | None = None,
    url: str = "",
) -> Material:
    """Attach an uploaded file or a link (exactly one of them) to a module."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    url = (url or "").strip()
    if file is None and not url:
        errors["file"] = [_("Upload a file or enter a link.")]
    elif file is not None and url:
        errors["url"] = [_("Give either a file or a link, not both.")]
    elif file is not None:
        problems = _check_upload(file)
        if problems:
            errors["file"] = problems
    elif not url.startswith(("https://", "http://")):
        errors["url"] = [_("Enter a link starting with https:// or http://.")]
    if not title:
        title = (file.name if file is not None else url)[:200] if (file or url) else ""
    if not title and "file" not in errors:
        errors["title"] = [_("Give the material a title.")]
    if errors:
        raise ValidationError(errors)
    material = Material(module=module, title=title)
    if file is not None:
        material.kind = Material.Kind.FILE
        material.file.save(os.path.basename(file.name), file, save=False)
    else:
        material.kind = Material.Kind.LINK
        material.url = url
    material.save()
    return material


@transaction.atomic
def material_delete(*, actor: User, material: Material) -> None:
    _require_admin(actor)
    stored = material.file.name if material.file else ""
    storage = material.file.storage if material.file else None
    material.delete()
    if stored and storage is not None:
        transaction.on_commit(lambda: storage.delete(stored))


@transaction.atomic
def quiz_set(*, actor: User, module: Module, pass_mark: int) -> Quiz:
    """Give the module a quiz (or change its pass mark)."""
    _require_admin(actor)
    try:
        pass_mark = int(pass_mark)
    except (TypeError, ValueError):
        pass_mark = -1
    if not 1 <= pass_mark <= 100:
        raise ValidationError({"pass_mark": [_("Enter a pass mark between 1 and 100%.")]})
    quiz, _created = Quiz.objects.update_or_create(module=module, defaults={"pass_mark": pass_mark})
    return quiz


@transaction.atomic
def quiz_delete(*, actor: User, quiz: Quiz) -> None:
    _require_admin(actor)
    quiz.delete()


@transaction.atomic
def question_add(
    *, actor: User, quiz: Quiz, text: str, options: Sequence[tuple[str, bool]]
) -> Question:
    """A question with its answer options ``[(text, correct), …]``; at least two options and
    at least one correct (several correct options make it a multiple-answer question)."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    cleaned = [((t or "").strip(), bool(c)) for t, c in options if (t or "").strip()]
    if not text:
        errors["text"] = [_("Write the question.")]
    if len(cleaned) < 2:
        errors["options"] = [_("Give at least two answer options.")]
    elif not any(c for _t, c in cleaned):
        errors["options"] = [_("Mark at least one answer as correct.")]
    if errors:
        raise ValidationError(errors)
    order = (quiz.questions.aggregate(m=Max("order"))["m"] or 0) + 1
    question = Question.objects.create(quiz=quiz, text=text, order=order)
    AnswerOption.objects.bulk_create(
        AnswerOption(question=question, text=t, correct=c, order=i)
        for i, (t, c) in enumerate(cleaned, start=1)
    )
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    _require_admin(actor)
    question.delete()
